/*
 * Pure replication of a Synthea sample into N fresh patients (no I/O): every identity element is
 * new (ids, names, identifiers, phone, birth date, street), the clinical content is Synthea's.
 */

import { seededRandom } from '../../platform/random/seeded.js';

type R = Record<string, unknown>;

/** The seeded PRNG (mulberry32): the same seed gives the same data set. */
export const rng = seededRandom;

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

/** A version-4-shaped UUID from the generator (unique per index through `salt`). */
export function uuidOf(next: () => number, salt: number): string {
  const a = hex8(salt);
  const b = hex8(Math.floor(next() * 2 ** 32));
  const c = hex8(Math.floor(next() * 2 ** 32));
  const d = hex8(Math.floor(next() * 2 ** 32));
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${(8 + (parseInt(c[0] ?? '0', 16) & 3)).toString(16)}${c.slice(1, 4)}-${c.slice(4, 8)}${d}`;
}

export interface Templates {
  patients: R[];
  /** MedicationRequests with a coded medication and no reference outside what we replicate. */
  requests: R[];
  organizations: string[];
  locations: string[];
  givenNames: string[];
  familyNames: string[];
  streets: string[];
}

const pick = <T>(list: readonly T[], next: () => number): T => list[Math.floor(next() * list.length)] as T;
const digits = (next: () => number, n: number): string => Array.from({ length: n }, () => String(Math.floor(next() * 10))).join('');

/** SSNs starting with 9 are never issued; unique per index, so identifier matching never merges two patients. */
export function ssnOf(i: number, seed: number): string {
  const n = String((i + seed * 1_000_000) % 100_000_000).padStart(8, '0');
  return `9${n.slice(0, 2)}-${n.slice(2, 4)}-${n.slice(4)}`;
}

/** The patient of index `i`: the template's shape, a fresh identity. */
export function freshPatient(t: Templates, i: number, seed: number, next: () => number): R {
  const p = structuredClone(pick(t.patients, next));
  const id = uuidOf(next, i + seed * 1_000_003);
  const given = `${pick(t.givenNames, next)}${digits(next, 3)}`;
  const family = `${pick(t.familyNames, next)}${digits(next, 3)}`;
  p['id'] = id;
  delete p['text'];
  p['name'] = [{ use: 'official', family, given: [given], prefix: [next() < 0.5 ? 'Mr.' : 'Ms.'] }];
  p['identifier'] = [
    { system: 'https://github.com/synthetichealth/synthea', value: id },
    { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR', display: 'Medical Record Number' }], text: 'Medical Record Number' }, system: 'http://hospital.smarthealthit.org', value: `MRN${seed}-${i}` },
    { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'SS', display: 'Social Security Number' }], text: 'Social Security Number' }, system: 'http://hl7.org/fhir/sid/us-ssn', value: ssnOf(i, seed) },
  ];
  // The area code, exchange and line carry the seed and index: every phone of a data set is unique.
  p['telecom'] = [{ system: 'phone', value: `${200 + ((seed * 7 + Math.floor(i / 1_000_000)) % 800)}-${String(Math.floor(i / 1000) % 1000).padStart(3, '0')}-${String(i % 1000).padStart(4, '0')}`, use: next() < 0.5 ? 'mobile' : 'home' }];
  const year = 1940 + Math.floor(next() * 65);
  p['birthDate'] = `${year}-${String(1 + Math.floor(next() * 12)).padStart(2, '0')}-${String(1 + Math.floor(next() * 28)).padStart(2, '0')}`;
  const addr = Array.isArray(p['address']) ? p['address'] as R[] : [];
  if (addr[0] !== undefined) addr[0]['line'] = [`${1 + Math.floor(next() * 9999)} ${pick(t.streets, next)}`];
  const ext = Array.isArray(p['extension']) ? p['extension'] as R[] : [];
  p['extension'] = ext.map((e) => (String(e['url']).endsWith('patient-mothersMaidenName') ? { ...e, valueString: `${pick(t.givenNames, next)} ${pick(t.familyNames, next)}` } : e));
  delete p['deceasedDateTime'];
  return p;
}

/** Two MedicationRequests for the patient, from the template pool, pointing at it. */
export function freshRequests(t: Templates, patientId: string, i: number, seed: number, next: () => number): R[] {
  return [0, 1].map((k) => {
    const m = structuredClone(pick(t.requests, next));
    m['id'] = uuidOf(next, (i * 2 + k) ^ (seed * 7_919));
    m['subject'] = { reference: `Patient/${patientId}` };
    m['status'] = k === 0 ? 'active' : m['status'];
    const authored = Date.parse('2024-01-01T00:00:00Z') - Math.floor(next() * 365) * 86_400_000;
    m['authoredOn'] = new Date(authored).toISOString();
    return m;
  });
}

/** The dispense of the patient's first request: 30 days handed over at a Synthea organisation. */
export function freshDispense(t: Templates, request: R, patientId: string, i: number, seed: number, next: () => number): R {
  const handed = Date.parse(String(request['authoredOn'])) + 86_400_000 * (1 + Math.floor(next() * 3));
  const days = pick([30, 60, 90], next);
  return {
    resourceType: 'MedicationDispense',
    id: uuidOf(next, i ^ (seed * 104_729)),
    status: 'completed',
    medicationCodeableConcept: request['medicationCodeableConcept'],
    subject: { reference: `Patient/${patientId}` },
    authorizingPrescription: [{ reference: `MedicationRequest/${String(request['id'])}` }],
    quantity: { value: days, unit: 'tablet', system: 'http://unitsofmeasure.org', code: '{tbl}' },
    daysSupply: { value: days, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' },
    whenPrepared: new Date(handed - 3_600_000).toISOString(),
    whenHandedOver: new Date(handed).toISOString(),
    performer: [{ actor: { reference: `Organization/${pick(t.organizations, next)}` } }],
    location: { reference: `Location/${pick(t.locations, next)}` },
  };
}

/** A request is usable as a template when only its subject refers inside the patient's bundle. */
export function requestTemplate(m: R): R | null {
  if (m['medicationCodeableConcept'] === undefined) return null;
  const c = structuredClone(m);
  delete c['encounter'];
  delete c['reasonReference'];
  delete c['meta'];
  delete c['subject'];
  return JSON.stringify(c).includes('urn:uuid:') ? null : c;
}

/** Synthea appends digits to names (Abdul218): the stem. */
export function nameStem(s: string): string {
  return s.replace(/\d+$/, '');
}
