import { DERIVED_TYPES } from './derived.js';
import { IMPORTED_TYPES } from './rules.js';

/** Search parameters per type, exactly those the read API answers. */
export const SEARCHABLE: Readonly<Record<string, readonly string[]>> = {
  Patient: ['identifier'],
  MedicationRequest: ['patient', 'subject'],
  MedicationDispense: ['patient', 'subject'],
  Appointment: ['patient'],
  Communication: ['patient', 'subject'],
  MedicationStatement: ['patient', 'subject'],
};

const DOCS: Record<string, string> = { patient: 'reference', subject: 'reference', identifier: 'token' };

function searchParams(type: string): Record<string, unknown> {
  const ps = SEARCHABLE[type];
  return ps ? { searchParam: ps.map((name) => ({ name, type: DOCS[name] ?? 'token' })) } : {};
}

/** The CapabilityStatement: what this server does, nothing more (read for every imported type). */
export function capabilityStatement(version: string, now: Date, opts: { writes: boolean } = { writes: false }): Record<string, unknown> {
  const imported = IMPORTED_TYPES.map((type) => ({ type, interaction: [{ code: 'read' }, ...(SEARCHABLE[type] ? [{ code: 'search-type' }] : [])], ...searchParams(type) }));
  // Produced by Careloop (the conversation, recorded adherence), not imported: searched by patient.
  const derived = DERIVED_TYPES.map((type) => ({ type, interaction: [{ code: 'search-type' }], ...searchParams(type) }));
  return {
    resourceType: 'CapabilityStatement', status: 'active', date: now.toISOString().slice(0, 10), kind: 'instance',
    software: { name: 'Careloop', version }, implementation: { description: 'Careloop FHIR R4 API' },
    fhirVersion: '4.0.1', format: ['application/fhir+json'],
    rest: [{
      mode: 'server',
      security: { description: 'Bearer API key or staff OIDC token; every request is scoped to the caller\'s organisation and every read is audited.' },
      resource: [...imported, ...derived],
      // Writes are a transaction or batch Bundle, or the asynchronous $import of NDJSON (no OperationDefinition is published for it).
      ...(opts.writes ? { interaction: [{ code: 'transaction' }, { code: 'batch' }] } : {}),
      operation: [{ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' }],
    }],
  };
}
