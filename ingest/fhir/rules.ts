import { issue, type OutcomeIssue } from './outcome.js';

/** The resource types Careloop imports, in the order a set of files is imported (referenced first). */
export const IMPORTED_TYPES = [
  'Organization', 'Location', 'Practitioner', 'PractitionerRole', 'HealthcareService', 'Schedule', 'Slot',
  'Patient', 'RelatedPerson', 'Consent', 'MedicationRequest', 'MedicationDispense', 'Appointment',
] as const;
export type ImportedType = (typeof IMPORTED_TYPES)[number];

export function isImportedType(t: string): t is ImportedType {
  return (IMPORTED_TYPES as readonly string[]).includes(t);
}

/** The prefix of our ids, per type (patients use the vault's pt_ ids). */
export const ID_PREFIX: Readonly<Record<ImportedType, string>> = {
  Organization: 'org', Location: 'loc', Practitioner: 'prc', PractitionerRole: 'prr', HealthcareService: 'hcs',
  Schedule: 'sch', Slot: 'slt', Patient: 'pt', RelatedPerson: 'rp', Consent: 'cns', MedicationRequest: 'mr',
  MedicationDispense: 'md', Appointment: 'apt',
};

const STATUS: Partial<Record<ImportedType, readonly string[]>> = {
  MedicationRequest: ['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown'],
  MedicationDispense: ['preparation', 'in-progress', 'cancelled', 'on-hold', 'completed', 'entered-in-error', 'stopped', 'declined', 'unknown'],
  Appointment: ['proposed', 'pending', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow', 'entered-in-error', 'checked-in', 'waitlist'],
  Slot: ['busy', 'free', 'busy-unavailable', 'busy-tentative', 'entered-in-error'],
  Consent: ['draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error'],
  Location: ['active', 'suspended', 'inactive'],
};
const MR_INTENT = ['proposal', 'plan', 'order', 'original-order', 'reflex-order', 'filler-order', 'instance-order', 'option'];
const TIME_UNITS = ['s', 'min', 'h', 'd', 'wk', 'mo', 'a'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Elements we need that R4 leaves optional (a limit of ours, said so in the message). */
const OURS: Partial<Record<ImportedType, ReadonlyArray<[string, string]>>> = {
  MedicationRequest: [['status', 'R4'], ['intent', 'R4'], ['subject', 'R4'], ['medication[x]', 'R4']],
  MedicationDispense: [['status', 'R4'], ['medication[x]', 'R4'], ['subject', 'Careloop: a dispense is imported for a patient']],
  Appointment: [['status', 'R4'], ['participant', 'R4']],
  Slot: [['schedule', 'R4'], ['status', 'R4'], ['start', 'R4'], ['end', 'R4']],
  Schedule: [['actor', 'R4']],
  RelatedPerson: [['patient', 'R4']],
  Consent: [['status', 'R4'], ['scope', 'R4'], ['category', 'R4'], ['patient', 'Careloop: a consent is imported for a patient']],
};

function present(r: Record<string, unknown>, element: string): boolean {
  if (element.endsWith('[x]')) {
    const stem = element.slice(0, -3);
    return Object.keys(r).some((k) => k.startsWith(stem) && k.length > stem.length && /[A-Z]/.test(k[stem.length] ?? ''));
  }
  const v = r[element];
  return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
}

function timingIssues(type: string, r: Record<string, unknown>): OutcomeIssue[] {
  const out: OutcomeIssue[] = [];
  const dosages = Array.isArray(r['dosageInstruction']) ? r['dosageInstruction'] as Array<Record<string, unknown>> : [];
  dosages.forEach((d, i) => {
    const repeat = (d['timing'] as { repeat?: Record<string, unknown> } | undefined)?.repeat;
    if (repeat === undefined) return;
    const at = `${type}.dosageInstruction[${i}].timing.repeat`;
    for (const k of ['periodUnit', 'durationUnit'] as const) {
      if (repeat[k] !== undefined && !TIME_UNITS.includes(String(repeat[k]))) out.push(issue('code-invalid', `${at}.${k} must be one of ${TIME_UNITS.join(', ')}`, `${at}.${k}`));
    }
    if (Array.isArray(repeat['dayOfWeek']) && !(repeat['dayOfWeek'] as unknown[]).every((x) => DAYS.includes(String(x)))) {
      out.push(issue('code-invalid', `${at}.dayOfWeek must be mon…sun`, `${at}.dayOfWeek`));
    }
    if (repeat['frequency'] !== undefined && repeat['period'] === undefined) out.push(issue('invariant', `${at}: a frequency needs a period (tim-1)`, `${at}.period`));
  });
  return out;
}

/** Our rules on top of the schema: required elements, the value sets we act on, timing units. */
export function ruleIssues(type: ImportedType, r: Record<string, unknown>): OutcomeIssue[] {
  const out: OutcomeIssue[] = [];
  for (const [element, why] of OURS[type] ?? []) {
    if (!present(r, element)) out.push(issue('required', `${type}.${element} is required (${why})`, `${type}.${element}`));
  }
  const statuses = STATUS[type];
  if (statuses !== undefined && r['status'] !== undefined && !statuses.includes(String(r['status']))) {
    out.push(issue('code-invalid', `${type}.status "${String(r['status']).slice(0, 40)}" is not one of ${statuses.join(', ')}`, `${type}.status`));
  }
  if (type === 'MedicationRequest' && r['intent'] !== undefined && !MR_INTENT.includes(String(r['intent']))) {
    out.push(issue('code-invalid', `MedicationRequest.intent must be one of ${MR_INTENT.join(', ')}`, 'MedicationRequest.intent'));
  }
  if (type === 'MedicationRequest') out.push(...timingIssues(type, r));
  if (type === 'Slot' && typeof r['start'] === 'string' && typeof r['end'] === 'string' && Date.parse(r['end']) < Date.parse(r['start'])) {
    out.push(issue('invariant', 'Slot.end is before Slot.start', 'Slot.end'));
  }
  return out;
}

/** The longest string anywhere in the resource, with its path, when it passes the limit. */
export function oversizedString(value: unknown, maxChars: number, path: string): string | undefined {
  if (typeof value === 'string') return value.length > maxChars ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) { const p = oversizedString(value[i], maxChars, `${path}[${i}]`); if (p !== undefined) return p; }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) { const p = oversizedString(v, maxChars, `${path}.${k}`); if (p !== undefined) return p; }
  }
  return undefined;
}
