/*
 * What Synthea lacks for our flows, generated for Synthea's patients and sites, deterministic by
 * seed: pharmacies near the sites (Locations with position and opening hours), a MedicationDispense
 * per active prescription (days supply, whenHandedOver, the nearest pharmacy), and per site a
 * HealthcareService (opening hours, a Location with position), its Schedule and its Slots.
 *
 * Pure: facts in, FHIR R4 resources out. `sitePlacesOf` and `patientFactsOf` take the facts from
 * Synthea's own resources; `generate-synthea.ts` reads a Synthea directory and writes NDJSON.
 * Every generated resource refers to Synthea's by literal `Type/id` (imported before it) and
 * carries an identifier under GENERATED_SYSTEM, so a re-import matches instead of duplicating.
 * The output for one patient depends only on the seed and that patient's facts, not on the
 * others: a benchmark that replicates patients can call `generateDispenses` per copy.
 */

import { seededRandom } from '../../platform/random/seeded.js';

type R = Record<string, unknown>;

export const GENERATED_SYSTEM = 'https://careloop.health/fhir/generated';

export interface Position {
  lat: number;
  lon: number;
}

/** A healthcare site: a Synthea Organization with the position of its Location. */
export interface SitePlace {
  organizationId: string;
  name: string;
  position: Position;
  address?: R;
}

export interface RequestFacts {
  id: string;
  status: string;
  medication: R;
  authoredOn: string | null;
  dosageInstruction?: unknown[];
  /** From dispenseRequest.expectedSupplyDuration, when in days. */
  supplyDays?: number;
}

export interface PatientFacts {
  patientId: string;
  position?: Position;
  requests: RequestFacts[];
}

export interface GenerateOptions {
  seed: number;
  /** "Today" of the data: dispenses were handed over before it, slots start on it. */
  reference: Date;
  /** Days of slots from the reference day (weekdays get slots). Default 14. */
  slotDays?: number;
  slotMinutes?: number;
  /** At most this many sites get a service, schedule and slots. Default 10. */
  services?: number;
  /** Pharmacies in the area. Default 5. */
  pharmacies?: number;
  /** Active prescriptions dispensed per patient, the most recent first. Default 2. */
  dispensesPerPatient?: number;
  /** The sites' clock, as an ISO offset. Default -05:00 (Synthea's Massachusetts). */
  utcOffset?: string;
}

export interface SiteResources {
  locations: R[];
  services: R[];
  schedules: R[];
  slots: R[];
}

/** FNV-1a, 32 bits: seeds per-item random streams so an item's output ignores the others. */
function fnv(text: string, basis = 0x811c9dc5): number {
  let h = basis;
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h >>> 0;
}

/** The seeded PRNG (mulberry32), one stream per seed and key: the same on every machine. */
export function rng(seed: number, key: string): () => number {
  return seededRandom(fnv(`${seed}:${key}`));
}

const shortHash = (text: string): string => `${fnv(text).toString(36)}${fnv(text, 0x01000193).toString(36)}`;
const identifier = (id: string): R[] => [{ system: GENERATED_SYSTEM, value: id }];
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length) % xs.length] as T;
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'];
const PHARMACY_NAMES = ['Main Street', 'Riverside', 'Oak Hill', 'Harbor', 'Lakeside', 'Maple', 'Union Square', 'Greenfield', 'Pine Ridge', 'Central'];
const SERVICES = [
  { code: '124', display: 'General Practice', name: 'general practice' },
  { code: '57', display: 'Immunization', name: 'immunisation clinic' },
] as const;
const DAY_MS = 86_400_000;

/** The day (UTC midnight) `days` after the reference, as YYYY-MM-DD. */
const dayOf = (reference: Date, days: number): string => new Date(Date.UTC(reference.getUTCFullYear(), reference.getUTCMonth(), reference.getUTCDate()) + days * DAY_MS).toISOString().slice(0, 10);
const hhmm = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Pharmacies placed near the given positions (the sites', so patients can be streamed after), by seed. */
export function generatePharmacies(near: readonly Position[], opts: GenerateOptions): R[] {
  const count = opts.pharmacies ?? 5;
  const r = rng(opts.seed, 'pharmacies');
  const out: R[] = [];
  for (let n = 0; n < count; n++) {
    const at = near.length > 0 ? pick(r, near) : { lat: 42.36, lon: -71.06 };
    const id = `gen${opts.seed}-pharmacy-${n + 1}`;
    out.push({
      resourceType: 'Location', id, identifier: identifier(id), status: 'active', mode: 'instance',
      name: `${PHARMACY_NAMES[n % PHARMACY_NAMES.length] ?? 'Central'} Pharmacy${n >= PHARMACY_NAMES.length ? ` ${n + 1}` : ''}`,
      type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'PHARM', display: 'Pharmacy' }] }],
      position: { latitude: round6(at.lat + (r() - 0.5) * 0.04), longitude: round6(at.lon + (r() - 0.5) * 0.04) },
      hoursOfOperation: [
        { daysOfWeek: WEEKDAYS, openingTime: '08:00:00', closingTime: n % 3 === 0 ? '22:00:00' : '19:00:00' },
        { daysOfWeek: ['sat'], openingTime: '09:00:00', closingTime: '14:00:00' },
      ],
    });
  }
  return out;
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

function positionOf(location: R): Position | undefined {
  const p = location['position'] as { latitude?: unknown; longitude?: unknown } | undefined;
  return typeof p?.latitude === 'number' && typeof p.longitude === 'number' ? { lat: p.latitude, lon: p.longitude } : undefined;
}

/** For each of the first `services` sites (by organisation id): a clinic Location, a HealthcareService, a Schedule, its Slots. */
export function generateSites(places: readonly SitePlace[], opts: GenerateOptions): SiteResources {
  const out: SiteResources = { locations: [], services: [], schedules: [], slots: [] };
  const chosen = [...places].sort((a, b) => (a.organizationId < b.organizationId ? -1 : 1)).slice(0, opts.services ?? 10);
  const days = opts.slotDays ?? 14;
  const step = opts.slotMinutes ?? 30;
  const offset = opts.utcOffset ?? '-05:00';
  for (const place of chosen) {
    const r = rng(opts.seed, `site:${place.organizationId}`);
    const h = shortHash(place.organizationId);
    const kind = pick(r, SERVICES);
    const opens = pick(r, [8 * 60, 8 * 60 + 30, 9 * 60]);
    const closes = pick(r, [17 * 60, 17 * 60 + 30, 18 * 60]);
    const serviceType = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/service-type', code: kind.code, display: kind.display }] }];
    const locId = `gen${opts.seed}-site-${h}`;
    const hcsId = `gen${opts.seed}-hcs-${h}`;
    const schId = `gen${opts.seed}-sch-${h}`;
    out.locations.push({
      resourceType: 'Location', id: locId, identifier: identifier(locId), status: 'active', mode: 'instance', name: place.name,
      ...(place.address !== undefined ? { address: place.address } : {}),
      position: { latitude: round6(place.position.lat), longitude: round6(place.position.lon) },
      managingOrganization: { reference: `Organization/${place.organizationId}` },
      hoursOfOperation: [{ daysOfWeek: WEEKDAYS, openingTime: `${hhmm(opens)}:00`, closingTime: `${hhmm(closes)}:00` }],
    });
    out.services.push({
      resourceType: 'HealthcareService', id: hcsId, identifier: identifier(hcsId), active: true,
      providedBy: { reference: `Organization/${place.organizationId}` },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/service-category', code: '17', display: 'General Practice' }] }],
      type: serviceType, name: `${place.name} ${kind.name}`.slice(0, 200), location: [{ reference: `Location/${locId}` }], appointmentRequired: true,
      availableTime: [{ daysOfWeek: WEEKDAYS, availableStartTime: `${hhmm(opens)}:00`, availableEndTime: `${hhmm(closes)}:00` }],
    });
    out.schedules.push({
      resourceType: 'Schedule', id: schId, identifier: identifier(schId), active: true, serviceType,
      actor: [{ reference: `HealthcareService/${hcsId}` }, { reference: `Location/${locId}` }],
      planningHorizon: { start: `${dayOf(opts.reference, 0)}T00:00:00${offset}`, end: `${dayOf(opts.reference, days)}T00:00:00${offset}` },
    });
    for (let d = 0; d < days; d++) {
      const day = dayOf(opts.reference, d);
      if ([0, 6].includes(new Date(`${day}T12:00:00Z`).getUTCDay())) continue;
      for (let m = opens, n = 0; m + step <= closes; m += step, n++) {
        const slotId = `gen${opts.seed}-slt-${h}-${day.replaceAll('-', '')}-${n}`;
        out.slots.push({
          resourceType: 'Slot', id: slotId, identifier: identifier(slotId), serviceType, schedule: { reference: `Schedule/${schId}` },
          status: r() < 0.25 ? 'busy' : 'free', start: `${day}T${hhmm(m)}:00${offset}`, end: `${day}T${hhmm(m + step)}:00${offset}`,
        });
      }
    }
  }
  return out;
}

function nearest(pharmacies: readonly R[], at: Position | undefined, r: () => number): R | undefined {
  if (at === undefined) return pharmacies.length > 0 ? pick(r, pharmacies) : undefined;
  let best: R | undefined;
  let bestD = Infinity;
  for (const p of pharmacies) {
    const pos = positionOf(p);
    if (pos === undefined) continue;
    const d = (pos.lat - at.lat) ** 2 + (pos.lon - at.lon) ** 2;
    if (d < bestD) { bestD = d; best = p; }
  }
  return best;
}

/**
 * A completed dispense for each of the patient's most recent active prescriptions, handed over at
 * the nearest pharmacy some days before the reference, so the supply runs out in the days after it.
 */
export function generateDispenses(patient: PatientFacts, pharmacies: readonly R[], opts: GenerateOptions): R[] {
  const r = rng(opts.seed, `patient:${patient.patientId}`);
  const pharmacy = nearest(pharmacies, patient.position, r);
  const active = patient.requests.filter((q) => q.status === 'active')
    .sort((a, b) => (b.authoredOn ?? '').localeCompare(a.authoredOn ?? '') || (a.id < b.id ? -1 : 1))
    .slice(0, opts.dispensesPerPatient ?? 2);
  return active.map((q) => {
    const days = q.supplyDays ?? pick(r, [30, 30, 30, 60, 90]);
    const ago = 1 + Math.floor(r() * Math.max(1, days - 2));
    const handed = new Date(Date.parse(`${dayOf(opts.reference, -ago)}T00:00:00Z`) + Math.floor(9 + r() * 9) * 3_600_000);
    const id = `gen${opts.seed}-md-${shortHash(`${patient.patientId}|${q.id}`)}`;
    return {
      resourceType: 'MedicationDispense', id, identifier: identifier(id), status: 'completed',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'FF', display: 'First Fill' }] },
      medicationCodeableConcept: q.medication, subject: { reference: `Patient/${patient.patientId}` },
      authorizingPrescription: [{ reference: `MedicationRequest/${q.id}` }],
      ...(pharmacy !== undefined ? { location: { reference: `Location/${String(pharmacy['id'])}` } } : {}),
      quantity: { value: days },
      daysSupply: { value: days, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' },
      whenPrepared: new Date(handed.getTime() - 3_600_000).toISOString(), whenHandedOver: handed.toISOString(),
      ...(q.dosageInstruction !== undefined ? { dosageInstruction: q.dosageInstruction } : {}),
    };
  });
}

const arr = (v: unknown): R[] => (Array.isArray(v) ? v.filter((x): x is R => typeof x === 'object' && x !== null) : []);

/** Sites from Synthea's hospitalInformation resources: each Organization with its Location's position. */
export function sitePlacesOf(resources: readonly R[]): SitePlace[] {
  const identOf = (r: R): string | undefined => arr(r['identifier'])[0]?.['value'] as string | undefined;
  const orgs = new Map<string, R>();
  for (const r of resources) if (r['resourceType'] === 'Organization' && typeof r['id'] === 'string') orgs.set(identOf(r) ?? r['id'], r);
  const out: SitePlace[] = [];
  const seen = new Set<string>();
  for (const loc of resources) {
    if (loc['resourceType'] !== 'Location') continue;
    const managing = loc['managingOrganization'] as { reference?: string; identifier?: { value?: string } } | undefined;
    const key = managing?.identifier?.value ?? managing?.reference?.split('/').pop();
    const org = key !== undefined ? orgs.get(key) : undefined;
    const position = positionOf(loc);
    if (org === undefined || position === undefined || seen.has(String(org['id']))) continue;
    seen.add(String(org['id']));
    const address = loc['address'];
    out.push({ organizationId: String(org['id']), name: typeof org['name'] === 'string' ? org['name'] : 'Clinic', position, ...(typeof address === 'object' && address !== null && !Array.isArray(address) ? { address: address as R } : {}) });
  }
  return out;
}

const GEOLOCATION = 'http://hl7.org/fhir/StructureDefinition/geolocation';

/** A Synthea patient Bundle's facts: the Patient's id and home position, its MedicationRequests. */
export function patientFactsOf(resources: readonly R[]): PatientFacts | null {
  const patient = resources.find((r) => r['resourceType'] === 'Patient');
  if (patient === undefined || typeof patient['id'] !== 'string') return null;
  const geo = arr(arr(arr(patient['address'])[0]?.['extension']).find((e) => e['url'] === GEOLOCATION)?.['extension']);
  const part = (u: string): unknown => geo.find((e) => e['url'] === u)?.['valueDecimal'];
  const lat = part('latitude');
  const lon = part('longitude');
  const requests: RequestFacts[] = resources.filter((r) => r['resourceType'] === 'MedicationRequest' && typeof r['id'] === 'string' && typeof r['medicationCodeableConcept'] === 'object')
    .map((r) => {
      const supply = ((r['dispenseRequest'] as R | undefined)?.['expectedSupplyDuration'] ?? {}) as R;
      const days = supply['code'] === 'd' && typeof supply['value'] === 'number' ? supply['value'] : undefined;
      return {
        id: r['id'] as string, status: String(r['status']), medication: r['medicationCodeableConcept'] as R,
        authoredOn: typeof r['authoredOn'] === 'string' ? r['authoredOn'] : null,
        ...(Array.isArray(r['dosageInstruction']) ? { dosageInstruction: r['dosageInstruction'] as unknown[] } : {}),
        ...(days !== undefined ? { supplyDays: days } : {}),
      };
    });
  return { patientId: patient['id'], ...(typeof lat === 'number' && typeof lon === 'number' ? { position: { lat, lon } } : {}), requests };
}
