import { normalizeIdentity } from '../../platform/vault/normalize.js';
import type { PatientIdentity } from '../../platform/vault/types.js';
import { issue, type OutcomeIssue } from './outcome.js';
import type { ImportedType } from './rules.js';

/*
 * From a resource whose references are already ours to what the system of record keeps in plain:
 * the typed row, the hot-path care-plan row of a prescription, and the signal other services act on.
 * Pure: no I/O, tested on its own.
 */

type R = Record<string, unknown>;

export interface Projection {
  table: string;
  row: Record<string, unknown>;
  patientId: string | null;
}

export interface CarePlanMedication {
  id: string;
  patientId: string;
  name: string;
  dose: string;
  times: string[];
  instructions: string;
  active: boolean;
}

const arr = (v: unknown): R[] => (Array.isArray(v) ? v.filter((x): x is R => typeof x === 'object' && x !== null) : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const ref = (v: unknown): string | null => str((v as R | undefined)?.['reference']);
const ourId = (v: unknown, type: string): string | null => {
  const r = ref(v);
  return r !== null && r.startsWith(`${type}/`) ? r.slice(type.length + 1) : null;
};
const codes = (v: unknown): string[] => arr(Array.isArray(v) ? v : v === undefined ? [] : [v])
  .flatMap((cc) => arr(cc['coding']).map((c) => `${str(c['system']) ?? ''}|${str(c['code']) ?? ''}`)).filter((c) => c !== '|');
const time = (v: unknown): string | null => { const s = str(v); return s !== null && !Number.isNaN(Date.parse(s)) ? new Date(s).toISOString() : null; };
const bool = (v: unknown, d: boolean): boolean => (typeof v === 'boolean' ? v : d);

function timing(r: R): Array<Record<string, unknown>> {
  return arr(r['dosageInstruction']).map((d) => {
    const repeat = ((d['timing'] as R | undefined)?.['repeat'] ?? {}) as R;
    const bounds = (repeat['boundsPeriod'] ?? {}) as R;
    return {
      frequency: num(repeat['frequency']), period: num(repeat['period']), periodUnit: str(repeat['periodUnit']),
      timeOfDay: Array.isArray(repeat['timeOfDay']) ? repeat['timeOfDay'] : [], dayOfWeek: Array.isArray(repeat['dayOfWeek']) ? repeat['dayOfWeek'] : [],
      boundsStart: time(bounds['start']), boundsEnd: time(bounds['end']), asNeeded: bool(d['asNeededBoolean'], false),
    };
  });
}

function patientOf(type: ImportedType, r: R): string | null {
  switch (type) {
    case 'MedicationRequest': case 'MedicationDispense': return ourId(r['subject'], 'Patient');
    case 'RelatedPerson': case 'Consent': return ourId(r['patient'], 'Patient');
    case 'Appointment': {
      for (const p of arr(r['participant'])) { const id = ourId(p['actor'], 'Patient'); if (id !== null) return id; }
      return null;
    }
    case 'Patient': return str(r['id']);
    case 'Organization': case 'Location': case 'Practitioner': case 'PractitionerRole': case 'HealthcareService': case 'Schedule': case 'Slot':
      return null;
  }
}

const GEOLOCATION = 'http://hl7.org/fhir/StructureDefinition/geolocation';

/** An address's FHIR geolocation extension (latitude, longitude), when whole and in range. */
export function geolocationOf(addr: R): { position?: { lat: number; lon: number } } {
  const geo = arr(addr['extension']).find((e) => e['url'] === GEOLOCATION);
  const part = (url: string): unknown => arr(geo?.['extension']).find((e) => e['url'] === url)?.['valueDecimal'];
  const lat = part('latitude');
  const lon = part('longitude');
  if (typeof lat !== 'number' || typeof lon !== 'number' || Math.abs(lat) > 90 || Math.abs(lon) > 180) return {};
  return { position: { lat, lon } };
}

/** The typed row of a resource (ids already ours); Patient has none (the vault and patients table hold it). */
export function project(type: ImportedType, r: R): Projection | null {
  const id = str(r['id']) ?? '';
  const patientId = patientOf(type, r);
  const p = (table: string, row: Record<string, unknown>): Projection => ({ table, row: { id, ...row }, patientId });
  switch (type) {
    case 'Patient': return null;
    case 'Organization': return p('organizations', { active: bool(r['active'], true), part_of: ourId(r['partOf'], 'Organization'), type_codes: codes(r['type']) });
    case 'Location': {
      const pos = (r['position'] ?? {}) as R;
      const hours = arr(r['hoursOfOperation']).map((h) => ({ days: h['daysOfWeek'] ?? [], allDay: bool(h['allDay'], false), opens: str(h['openingTime']), closes: str(h['closingTime']) }));
      return p('locations', { status: str(r['status']), managing_org: ourId(r['managingOrganization'], 'Organization'), latitude: num(pos['latitude']), longitude: num(pos['longitude']), opening_hours: hours });
    }
    case 'Practitioner': return p('practitioners', { active: bool(r['active'], true) });
    case 'PractitionerRole': return p('practitioner_roles', {
      active: bool(r['active'], true), practitioner_id: ourId(r['practitioner'], 'Practitioner'), of_organization: ourId(r['organization'], 'Organization'),
      location_ids: arr(r['location']).map((l) => ourId(l, 'Location')).filter((x) => x !== null), service_ids: arr(r['healthcareService']).map((l) => ourId(l, 'HealthcareService')).filter((x) => x !== null),
      role_codes: codes(r['code']), specialty_codes: codes(r['specialty']),
    });
    case 'HealthcareService': return p('healthcare_services', {
      active: bool(r['active'], true), provided_by: ourId(r['providedBy'], 'Organization'), location_ids: arr(r['location']).map((l) => ourId(l, 'Location')).filter((x) => x !== null),
      category_codes: codes(r['category']), type_codes: codes(r['type']), appointment_required: typeof r['appointmentRequired'] === 'boolean' ? r['appointmentRequired'] : null,
    });
    case 'Schedule': {
      const h = (r['planningHorizon'] ?? {}) as R;
      return p('schedules', { active: bool(r['active'], true), actor_refs: arr(r['actor']).map(ref).filter((x) => x !== null), service_type_codes: codes(r['serviceType']), horizon_start: time(h['start']), horizon_end: time(h['end']) });
    }
    case 'Slot': return p('slots', { schedule_id: ourId(r['schedule'], 'Schedule') ?? '', status: str(r['status']), starts_at: time(r['start']), ends_at: time(r['end']), service_type_codes: codes(r['serviceType']) });
    case 'RelatedPerson': return p('related_persons', { patient_id: patientId, active: bool(r['active'], true), relationship_codes: codes(r['relationship']) });
    case 'Consent': {
      const prov = (r['provision'] ?? {}) as R;
      const period = (prov['period'] ?? {}) as R;
      return p('consents', { patient_id: patientId, status: str(r['status']), scope_code: codes(r['scope'])[0] ?? null, category_codes: codes(r['category']), provision_type: str(prov['type']), period_start: time(period['start']), period_end: time(period['end']) });
    }
    case 'MedicationRequest': {
      const disp = (r['dispenseRequest'] ?? {}) as R;
      const supply = (disp['expectedSupplyDuration'] ?? {}) as R;
      return p('medication_requests', {
        patient_id: patientId, status: str(r['status']), intent: str(r['intent']), authored_on: time(r['authoredOn']), requester_ref: ref(r['requester']),
        timing: timing(r), refills_allowed: num(disp['numberOfRepeatsAllowed']), expected_supply_days: supply['unit'] === 'days' || supply['code'] === 'd' ? num(supply['value']) : null,
      });
    }
    case 'MedicationDispense': {
      const ds = (r['daysSupply'] ?? {}) as R;
      const performer = arr(r['performer'])[0]?.['actor'];
      return p('medication_dispenses', {
        patient_id: patientId, request_id: arr(r['authorizingPrescription']).map((a) => ourId(a, 'MedicationRequest')).find((x) => x !== null) ?? null,
        status: str(r['status']), days_supply: num(ds['value']), when_prepared: time(r['whenPrepared']), when_handed_over: time(r['whenHandedOver']),
        pharmacy_ref: ref(r['location']) ?? ref(performer),
      });
    }
    case 'Appointment': return p('appointments', {
      patient_id: patientId, status: str(r['status']), starts_at: time(r['start']), ends_at: time(r['end']),
      slot_ids: arr(r['slot']).map((s) => ourId(s, 'Slot')).filter((x) => x !== null),
      participant_refs: arr(r['participant']).map((x) => ref(x['actor'])).filter((x): x is string => x !== null && !x.startsWith('Patient/')),
      service_type_codes: codes(r['serviceType']),
    });
  }
}

const DAILY_TIMES: Record<number, string[]> = { 1: ['08:00'], 2: ['08:00', '20:00'], 3: ['08:00', '14:00', '20:00'], 4: ['08:00', '12:00', '16:00', '20:00'] };

/** The prescription as the chat's care plan reads it (name, dose, times of day, sig). */
export function carePlanMedication(r: R, patientId: string): CarePlanMedication {
  const cc = (r['medicationCodeableConcept'] ?? {}) as R;
  const name = str(cc['text']) ?? str(arr(cc['coding'])[0]?.['display']) ?? str((r['medicationReference'] as R | undefined)?.['display']) ?? 'medication';
  const dosage = arr(r['dosageInstruction'])[0] ?? {};
  const q = (arr(dosage['doseAndRate'])[0]?.['doseQuantity'] ?? {}) as R;
  const dose = num(q['value']) !== null ? `${String(q['value'])}${str(q['unit']) !== null ? ` ${String(q['unit'])}` : ''}` : '';
  const repeat = ((dosage['timing'] as R | undefined)?.['repeat'] ?? {}) as R;
  let times = (Array.isArray(repeat['timeOfDay']) ? repeat['timeOfDay'] as unknown[] : []).map((t) => String(t).slice(0, 5)).filter((t) => /^\d\d:\d\d$/.test(t));
  if (times.length === 0 && repeat['periodUnit'] === 'd' && (num(repeat['period']) ?? 1) === 1) times = DAILY_TIMES[num(repeat['frequency']) ?? 0] ?? [];
  return { id: str(r['id']) ?? '', patientId, name: name.slice(0, 200), dose: dose.slice(0, 50), times, instructions: (str(dosage['text']) ?? '').slice(0, 500), active: r['status'] === 'active' };
}

/** The patient's identity for the vault, normalised; problems name the element, never the value. */
export function patientIdentity(r: R, defaultCallingCode?: string): { identity: PatientIdentity; language: 'en' | 'es'; issues: OutcomeIssue[] } {
  const names = arr(r['name']);
  const name = names.find((n) => n['use'] === 'official') ?? names[0] ?? {};
  const given = (Array.isArray(name['given']) ? name['given'] as unknown[] : []).filter((g): g is string => typeof g === 'string').join(' ');
  const telecom = arr(r['telecom']);
  const phone = (telecom.find((t) => t['system'] === 'phone' && t['use'] === 'mobile') ?? telecom.find((t) => t['system'] === 'phone'))?.['value'];
  const email = telecom.find((t) => t['system'] === 'email')?.['value'];
  const addr = arr(r['address'])[0];
  const ids = arr(r['identifier']).filter((i) => typeof i['system'] === 'string' && typeof i['value'] === 'string').slice(0, 10);
  const mrn = ids.find((i) => arr((i['type'] as R | undefined)?.['coding']).some((c) => c['code'] === 'MR'))?.['value'];
  const raw: PatientIdentity = {
    ...(given !== '' ? { givenName: given.slice(0, 100) } : {}),
    ...(typeof name['family'] === 'string' && name['family'] !== '' ? { familyName: name['family'].slice(0, 100) } : {}),
    ...(typeof phone === 'string' ? { phone } : {}), ...(typeof email === 'string' ? { email } : {}),
    ...(typeof r['birthDate'] === 'string' && r['birthDate'].length === 10 ? { birthDate: r['birthDate'] } : {}),
    ...(addr !== undefined && Array.isArray(addr['line']) && addr['line'].length > 0 ? { address: {
      line: (addr['line'] as unknown[]).filter((l): l is string => typeof l === 'string' && l.trim() !== '').slice(0, 4),
      ...(str(addr['city']) !== null ? { city: addr['city'] as string } : {}), ...(str(addr['state']) !== null ? { state: addr['state'] as string } : {}),
      ...(str(addr['postalCode']) !== null ? { postalCode: addr['postalCode'] as string } : {}), ...(str(addr['country'])?.length === 2 ? { country: addr['country'] as string } : {}),
      ...geolocationOf(addr),
    } } : {}),
    ...(typeof mrn === 'string' ? { mrn } : {}),
    ...(ids.length > 0 ? { identifiers: ids.map((i) => ({ system: i['system'] as string, value: i['value'] as string })) } : {}),
  };
  const comm = arr(r['communication']);
  const preferred = comm.find((c) => c['preferred'] === true) ?? comm[0];
  const lang = str(arr((preferred?.['language'] as R | undefined)?.['coding'])[0]?.['code']) ?? '';
  const language = lang.toLowerCase().startsWith('es') ? 'es' : 'en';
  try {
    return { identity: normalizeIdentity(raw, defaultCallingCode), language, issues: [] };
  } catch (err) {
    const field = ((err as { details?: { field?: string } }).details?.field) ?? 'identity';
    const element = ({ phone: 'telecom', email: 'telecom', givenName: 'name', familyName: 'name', birthDate: 'birthDate', address: 'address', mrn: 'identifier', identifiers: 'identifier' } as Record<string, string>)[field] ?? field;
    return { identity: {}, language, issues: [issue('value', `Patient.${element} cannot be stored: ${field} is not valid`, `Patient.${element}`)] };
  }
}

/** A fact other services act on, from a write (what was there before: its status, or nothing). */
export function signalOf(type: ImportedType, r: R, change: 'created' | 'updated', previousStatus: string | null): { type: string; attributes: Record<string, string>; occurredAt: string | null } | null {
  const id = str(r['id']) ?? '';
  const status = str(r['status']) ?? '';
  const at = (k: string): string | null => time(r[k]);
  switch (type) {
    case 'MedicationRequest': {
      const stopped = ['stopped', 'cancelled', 'completed', 'entered-in-error'].includes(status);
      const kind = change === 'created' ? (status === 'active' ? 'medication_started' : 'medication_recorded') : stopped && previousStatus === 'active' ? 'medication_stopped' : 'medication_changed';
      return { type: kind, attributes: { medicationRequestId: id, status }, occurredAt: at('authoredOn') };
    }
    case 'MedicationDispense': {
      const ds = num(((r['daysSupply'] ?? {}) as R)['value']);
      return { type: change === 'created' ? 'dispense_recorded' : 'dispense_changed', attributes: { dispenseId: id, status, ...(ds !== null ? { daysSupply: String(ds) } : {}), ...(at('whenHandedOver') !== null ? { whenHandedOver: at('whenHandedOver') as string } : {}) }, occurredAt: at('whenHandedOver') };
    }
    case 'Appointment': {
      const kind = status === 'cancelled' ? 'appointment_cancelled' : change === 'created' && status === 'booked' ? 'appointment_booked' : 'appointment_changed';
      return { type: kind, attributes: { appointmentId: id, status, ...(at('start') !== null ? { start: at('start') as string } : {}) }, occurredAt: null };
    }
    case 'Patient': return { type: change === 'created' ? 'patient_enrolled' : 'patient_updated', attributes: {}, occurredAt: null };
    case 'Consent': return { type: 'consent_recorded', attributes: { consentId: id, status }, occurredAt: null };
    case 'RelatedPerson': return { type: change === 'created' ? 'caregiver_added' : 'caregiver_changed', attributes: { relatedPersonId: id }, occurredAt: null };
    case 'Organization': case 'Location': case 'Practitioner': case 'PractitionerRole': case 'HealthcareService': case 'Schedule': case 'Slot':
      return null;
  }
}
