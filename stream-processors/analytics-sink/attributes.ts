import { medicationClass } from './medication-class.js';

/**
 * What an attribute value may look like in ClickHouse. Workflows and integrations put arbitrary
 * attributes on signals and actions (a workflow may pass a medication name or an answer), so only
 * allow-listed keys pass, each checked against its kind; anything else is dropped, never copied.
 */
type Kind = 'bool' | 'code' | 'fhir_type' | 'ref' | 'number' | 'time';

const CODE = /^[a-z][a-z0-9_.-]{0,47}$/;
const UPPER_CODE = /^[A-Z][A-Z0-9_]{0,47}$/;
// Pseudonymous references (UUIDs, `pt_…`, occurrence ids): a short run of letters is a word, not an id.
const REF = /^[A-Za-z0-9_:.-]{6,160}$/;
const NUMBER = /^-?[0-9]{1,12}(\.[0-9]{1,9})?$/;
const TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,3})?)?(Z|[+-][0-9]{2}:[0-9]{2})$/;

export const ALLOWED_ATTRIBUTES: Readonly<Record<string, Kind>> = {
  taken: 'bool', late: 'bool',
  reason: 'code', priority: 'code', category: 'code', question: 'code', request: 'code', visit: 'code', source: 'code',
  channel: 'code', status: 'code', resource_type: 'fhir_type', segment: 'code', risk_band: 'code', age_band: 'code', sex: 'code',
  language: 'code', locale: 'code', preferred_channel: 'code', reward: 'code', intent: 'code', entity_types: 'code',
  template: 'code', variant: 'code', kind: 'code', error_code: 'code', medication_class: 'code', service_code: 'code',
  medication_id: 'ref', occurrence_id: 'ref', appointment_id: 'ref', message_id: 'ref', reply_to: 'ref', timer_id: 'ref',
  days_left: 'number', days_supply: 'number', attempt: 'number', latency_ms: 'number', propensity: 'number', value: 'number',
  pdc_30d: 'number', response_rate_30d: 'number',
  due_at: 'time', starts_at: 'time', at: 'time',
};

/** Integrations name some keys in camelCase; analytics uses one spelling. */
const ALIASES: Readonly<Record<string, string>> = { resourceType: 'resource_type', daysSupply: 'days_supply', appointmentId: 'appointment_id' };

function accepts(kind: Kind, value: string): boolean {
  switch (kind) {
    case 'bool': return value === 'true' || value === 'false' || value === 'unknown';
    case 'code': return CODE.test(value) || UPPER_CODE.test(value) || /^[a-z]{2}(-[A-Z]{2})?$/.test(value) || /^[a-z_]+(,[a-z_]+)*$/.test(value);
    case 'fhir_type': return /^[A-Z][A-Za-z]{2,40}$/.test(value);
    case 'ref': return REF.test(value) && (/[0-9]/.test(value) || value.length >= 16);
    case 'number': return NUMBER.test(value);
    case 'time': return TIME.test(value);
  }
}

/**
 * The attributes that may reach analytics, sorted by key. A medication name becomes its class
 * (`medication_class`), and the name itself is dropped.
 */
export function safeAttributes(raw: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rawKey, value] of Object.entries(raw)) {
    const key = ALIASES[rawKey] ?? rawKey;
    const kind = ALLOWED_ATTRIBUTES[key];
    if (kind !== undefined && accepts(kind, value)) out[key] = value;
  }
  const name = raw['medication'];
  if (name !== undefined && name !== '' && out['medication_class'] === undefined) out['medication_class'] = medicationClass(name);
  return out;
}
