import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateDispenses, generatePharmacies, generateSites, GENERATED_SYSTEM, patientFactsOf, sitePlacesOf, type GenerateOptions, type PatientFacts } from './generate.js';
import { ruleIssues, isImportedType } from './rules.js';
import { FhirSchema } from './schema.js';
import { project } from './project.js';
import { rank } from './run.js';
import { EXTRA_FILES } from './generate-synthea.js';

const opts: GenerateOptions = { seed: 7, reference: new Date('2031-05-05T10:00:00Z'), slotDays: 7, services: 3, pharmacies: 4 };
const places = [0, 1, 2, 3].map((i) => ({ organizationId: `org-${i}`, name: `Clinic ${i}`, position: { lat: 42 + i / 10, lon: -71 - i / 10 } }));
const patient = (id: string, lat: number): PatientFacts => ({
  patientId: id, position: { lat, lon: -71.05 },
  requests: [
    { id: `${id}-a`, status: 'active', medication: { text: 'Metformin 500 MG' }, authoredOn: '2031-01-01T00:00:00Z' },
    { id: `${id}-b`, status: 'stopped', medication: { text: 'Ibuprofen' }, authoredOn: '2031-04-01T00:00:00Z' },
    { id: `${id}-c`, status: 'active', medication: { text: 'Lisinopril 10 MG' }, authoredOn: '2031-03-01T00:00:00Z', supplyDays: 90 },
    { id: `${id}-d`, status: 'active', medication: { text: 'Aspirin' }, authoredOn: '2030-03-01T00:00:00Z' },
  ],
});

describe('generator of what Synthea lacks', () => {
  test('the same seed gives the same resources; another seed other ones', () => {
    const run = (o: GenerateOptions) => JSON.stringify([generateSites(places, o), generatePharmacies(places.map((p) => p.position), o), generateDispenses(patient('p1', 42.1), generatePharmacies(places.map((p) => p.position), o), o)]);
    assert.equal(run(opts), run({ ...opts }));
    assert.notEqual(run(opts), run({ ...opts, seed: 8 }));
  });

  test('a patient\'s dispenses do not depend on the other patients (a replicated copy gets its own)', () => {
    const ph = generatePharmacies(places.map((p) => p.position), opts);
    const alone = generateDispenses(patient('p1', 42.1), ph, opts);
    generateDispenses(patient('p2', 42.3), ph, opts);
    assert.deepEqual(generateDispenses(patient('p1', 42.1), ph, opts), alone);
    assert.notDeepEqual(generateDispenses(patient('p3', 42.1), ph, opts).map((d) => d['id']), alone.map((d) => d['id']));
  });

  test('dispenses: the most recent active prescriptions, days supply, handed over before the reference at the nearest pharmacy', () => {
    const ph = generatePharmacies(places.map((p) => p.position), opts);
    const ds = generateDispenses(patient('p1', 42.3), ph, opts);
    assert.deepEqual(ds.map((d) => (d['authorizingPrescription'] as Array<{ reference: string }>)[0]?.reference), ['MedicationRequest/p1-c', 'MedicationRequest/p1-a']);
    assert.equal((ds[0]?.['daysSupply'] as { value: number }).value, 90, 'the prescription\'s expected supply is kept');
    for (const d of ds) {
      const handed = Date.parse(String(d['whenHandedOver']));
      const days = (d['daysSupply'] as { value: number }).value;
      assert.ok(handed < opts.reference.getTime() && handed > opts.reference.getTime() - days * 86_400_000, 'the supply runs out after the reference');
      const pharmacy = (d['location'] as { reference: string }).reference;
      const dist = (p: Record<string, unknown>) => { const pos = p['position'] as { latitude: number; longitude: number }; return (pos.latitude - 42.3) ** 2 + (pos.longitude + 71.05) ** 2; };
      const best = [...ph].sort((a, b) => dist(a) - dist(b))[0];
      assert.equal(pharmacy, `Location/${String(best?.['id'])}`);
    }
  });

  test('sites: opening hours, positions, weekday slots inside the hours, every resource valid R4 and accepted by our rules', () => {
    const s = generateSites(places, opts);
    assert.equal(s.services.length, 3);
    assert.ok(s.slots.length > 3 * 5 * 10, `${s.slots.length} slots`);
    for (const slot of s.slots) {
      const day = new Date(String(slot['start'])).getUTCDay();
      assert.ok(day >= 1 && day <= 5, 'weekdays only');
      assert.ok(Date.parse(String(slot['end'])) > Date.parse(String(slot['start'])));
    }
    const schema = new FhirSchema();
    const ph = generatePharmacies(places.map((p) => p.position), opts);
    const all = [...s.locations, ...s.services, ...s.schedules, ...s.slots, ...ph, ...generateDispenses(patient('p1', 42.1), ph, opts)];
    for (const r of all) {
      const type = String(r['resourceType']);
      assert.ok(isImportedType(type));
      assert.deepEqual([...schema.validate(r), ...ruleIssues(type, r)], [], `${type}/${String(r['id'])}`);
      assert.equal((r['identifier'] as Array<{ system: string }>)[0]?.system, GENERATED_SYSTEM);
      assert.ok(/^[A-Za-z0-9\-.]{1,64}$/.test(String(r['id'])), `id ${String(r['id'])} is a FHIR id`);
    }
    const loc = project('Location', s.locations[0] ?? {});
    assert.ok(loc !== null && typeof loc.row['latitude'] === 'number' && (loc.row['opening_hours'] as unknown[]).length === 1);
  });

  test('facts from Synthea resources: sites with positions, a patient with its prescriptions', () => {
    const org = { resourceType: 'Organization', id: 'o1', name: 'X', identifier: [{ system: 's', value: 'o1' }] };
    const loc = { resourceType: 'Location', id: 'l1', position: { latitude: 42, longitude: -71 }, managingOrganization: { identifier: { system: 's', value: 'o1' } } };
    assert.deepEqual(sitePlacesOf([org, loc, { ...loc, id: 'l2' }]).map((p) => [p.organizationId, p.position.lat]), [['o1', 42]]);
    const geo = { url: 'http://hl7.org/fhir/StructureDefinition/geolocation', extension: [{ url: 'latitude', valueDecimal: 42.5 }, { url: 'longitude', valueDecimal: -71.2 }] };
    const facts = patientFactsOf([{ resourceType: 'Patient', id: 'p', address: [{ extension: [geo] }] }, { resourceType: 'MedicationRequest', id: 'm', status: 'active', medicationCodeableConcept: { text: 'A' }, authoredOn: '2031-01-01', dispenseRequest: { expectedSupplyDuration: { value: 28, code: 'd' } } }]);
    assert.deepEqual(facts, { patientId: 'p', position: { lat: 42.5, lon: -71.2 }, requests: [{ id: 'm', status: 'active', medication: { text: 'A' }, authoredOn: '2031-01-01', supplyDays: 28 }] });
  });

  test('the generated files import around Synthea\'s: sites before the patient Bundles, dispenses after them', () => {
    const bundle = rank('/x/Abdul218_Schamberger479_f1be466b.json');
    assert.ok(rank('/x/hospitalInformation1796150238122.json') < rank('/x/Location.ndjson'));
    for (const t of EXTRA_FILES) assert.ok(t === 'MedicationDispense' ? rank(`/x/${t}.ndjson`) > bundle : rank(`/x/${t}.ndjson`) < bundle, t);
    assert.ok(rank('/x/Patient.ndjson') < bundle && bundle < rank('/x/MedicationRequest.ndjson'));
  });
});
