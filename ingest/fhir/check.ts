import { issue, type OutcomeIssue } from './outcome.js';
import { patientIdentity } from './project.js';
import type { RawEntry } from './readers.js';
import { identifiersOf, sourceKey } from './references.js';
import { isImportedType, oversizedString, ruleIssues, type ImportedType } from './rules.js';
import type { FhirSchema } from './schema.js';
import type { PatientIdentity } from '../../platform/vault/types.js';

/** A resource that passed every check on its own; references are resolved later, with the unit. */
export interface Candidate {
  index: number;
  /** The file it came from, when the unit mixes files (a retry of deferred entries). */
  file?: string;
  type: ImportedType;
  resource: Record<string, unknown>;
  sourceId: string | null;
  fullUrl: string | null;
  identifiers: Array<{ system: string; value: string }>;
  identity?: { identity: PatientIdentity; language: 'en' | 'es' };
}

export type Checked =
  | { kind: 'ok'; candidate: Candidate }
  | { kind: 'ignored'; type: string; fullUrl: string | null }
  | { kind: 'rejected'; index: number; type?: string; id?: string; issues: OutcomeIssue[] };

export interface CheckLimits {
  maxStringChars: number;
  defaultCallingCode?: string;
}

/** Checks one entry alone: JSON, resourceType, size, the R4 schema, our rules, the patient's identity. */
export function checkEntry(e: RawEntry, schema: FhirSchema, limits: CheckLimits): Checked {
  if (e.resource === undefined) return { kind: 'rejected', index: e.index, issues: [e.problem ?? issue('structure', 'unreadable entry')] };
  const r = e.resource;
  const type = r['resourceType'];
  const id = typeof r['id'] === 'string' ? r['id'] : undefined;
  const base = { index: e.index, ...(id !== undefined ? { id: id.slice(0, 64) } : {}) };
  if (typeof type !== 'string') return { kind: 'rejected', ...base, issues: [issue('required', 'resourceType is missing', 'resourceType')] };
  if (!schema.isResourceType(type)) return { kind: 'rejected', ...base, type: type.slice(0, 64), issues: [issue('not-supported', `"${type.slice(0, 64)}" is not a FHIR R4 resource type`, 'resourceType')] };
  if (!isImportedType(type)) return { kind: 'ignored', type, fullUrl: e.fullUrl ?? null };
  const long = oversizedString(r, limits.maxStringChars, type);
  if (long !== undefined) return { kind: 'rejected', ...base, type, issues: [issue('too-long', `${long} is longer than ${limits.maxStringChars} characters, the longest string Careloop stores`, long)] };
  if (e.method !== undefined && !['POST', 'PUT'].includes(e.method)) {
    return { kind: 'rejected', ...base, type, issues: [issue('not-supported', `Bundle request method ${e.method.slice(0, 10)} is not supported (POST and PUT are)`, 'Bundle.entry.request.method')] };
  }
  const issues = [...schema.validate(r), ...ruleIssues(type, r)];
  let identity: Candidate['identity'];
  if (type === 'Patient' && issues.length === 0) {
    const p = patientIdentity(r, limits.defaultCallingCode);
    issues.push(...p.issues);
    identity = { identity: p.identity, language: p.language };
  }
  if (issues.length > 0) return { kind: 'rejected', ...base, type, issues };
  return { kind: 'ok', candidate: { index: e.index, ...(e.file !== undefined ? { file: e.file } : {}), type, resource: r, sourceId: id ?? null, fullUrl: e.fullUrl ?? null, identifiers: identifiersOf(r), ...(identity ? { identity } : {}) } };
}

/** Second and later entries with the same fullUrl or Type/id in one unit are duplicates. */
export function duplicateIssue(c: Candidate, seen: Set<string>): OutcomeIssue | undefined {
  const keys = [c.fullUrl, c.sourceId !== null ? sourceKey(c.type, c.sourceId) : null].filter((k): k is string => k !== null);
  const dup = keys.find((k) => seen.has(k));
  for (const k of keys) seen.add(k);
  return dup === undefined ? undefined : issue('duplicate', `${dup.slice(0, 120)} appears more than once in this Bundle; the first one is imported`, `${c.type}.id`);
}
