import { CareloopError } from '../errors.js';
import { blindDigest } from './index-keys.js';
import { openField, sealField } from './field-crypto.js';
import type { Cells, IndexEntry } from './store.js';
import { IDENTITY_FIELDS, type BlindIndexKind, type IdentityField, type PatientIdentity } from './types.js';

/** Structured fields are sealed as JSON; the rest as their text. */
function encode(field: IdentityField, identity: PatientIdentity): string | undefined {
  const v = identity[field];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function decode(identity: PatientIdentity, field: IdentityField, text: string): void {
  switch (field) {
    case 'address': identity.address = JSON.parse(text) as PatientIdentity['address']; break;
    case 'identifiers': identity.identifiers = JSON.parse(text) as PatientIdentity['identifiers']; break;
    case 'givenName': case 'familyName': case 'phone': case 'email': case 'birthDate': case 'mrn':
      identity[field] = text; break;
  }
}

/** Seals every present field under the patient key, each bound to its own field name. */
export function sealIdentity(patientKey: Buffer, organizationId: string, patientId: string, identity: PatientIdentity): Cells {
  const cells: Cells = {};
  for (const field of IDENTITY_FIELDS) {
    const text = encode(field, identity);
    if (text !== undefined) cells[field] = sealField(patientKey, organizationId, patientId, field, text);
  }
  return cells;
}

export function openIdentity(patientKey: Buffer, organizationId: string, patientId: string, cells: Cells): PatientIdentity {
  const identity: PatientIdentity = {};
  for (const field of IDENTITY_FIELDS) {
    const cell = cells[field];
    if (cell === undefined) continue;
    try {
      decode(identity, field, openField(patientKey, organizationId, patientId, field, cell));
    } catch (err) {
      throw new CareloopError('RECORD_INVALID', `vault field ${field} does not decrypt`, { cause: err, details: { field } });
    }
  }
  return identity;
}

/** The lookup values of a (normalised) identity, by kind. */
export function indexValues(identity: PatientIdentity): Array<{ kind: BlindIndexKind; value: string }> {
  const out: Array<{ kind: BlindIndexKind; value: string }> = [];
  if (identity.phone !== undefined) out.push({ kind: 'phone', value: identity.phone });
  if (identity.email !== undefined) out.push({ kind: 'email', value: identity.email });
  if (identity.mrn !== undefined) out.push({ kind: 'mrn', value: identity.mrn });
  if (identity.phone !== undefined && identity.birthDate !== undefined) {
    out.push({ kind: 'phone_birth_date', value: `${identity.phone}|${identity.birthDate}` });
  }
  for (const id of identity.identifiers ?? []) out.push({ kind: 'identifier', value: `${id.system}|${id.value}` });
  return out;
}

export function indexEntries(indexKey: Buffer, identity: PatientIdentity): IndexEntry[] {
  return indexValues(identity).map(({ kind, value }) => ({ kind, digest: blindDigest(indexKey, kind, value) }));
}
