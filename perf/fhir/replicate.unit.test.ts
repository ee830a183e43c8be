import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { identifiersOf, parseReference } from '../../ingest/fhir/references.js';
import { ruleIssues } from '../../ingest/fhir/rules.js';
import { profileAreas, type CpuProfile } from './profile-areas.js';
import { freshDispense, freshPatient, freshRequests, requestTemplate, rng, ssnOf, type Templates } from './replicate.js';

type R = Record<string, unknown>;

const template: Templates = {
  patients: [{
    resourceType: 'Patient', id: 'synthea-1', text: { status: 'generated', div: '<div>Synthea</div>' }, gender: 'female', birthDate: '1961-02-03',
    name: [{ family: 'Koch169', given: ['Demetrice140'] }], telecom: [{ system: 'phone', value: '555-604-4968' }],
    identifier: [{ system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-66-9716' }], address: [{ line: ['12 Old Street'], city: 'Boston' }],
    extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName', valueString: 'Ada Koch' }],
  }],
  requests: [{ resourceType: 'MedicationRequest', id: 'mr-1', status: 'stopped', intent: 'order', medicationCodeableConcept: { text: 'Metformin 500 MG' } }],
  organizations: ['org-1'], locations: ['loc-1'], givenNames: ['Ana', 'Ben'], familyNames: ['Lee', 'Ruiz'], streets: ['Main Street'],
};

function dataset(n: number, seed: number): Array<{ p: R; ms: R[]; d: R }> {
  const next = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const p = freshPatient(template, i, seed, next);
    const ms = freshRequests(template, String(p['id']), i, seed, next);
    return { p, ms, d: freshDispense(template, ms[0] as R, String(p['id']), i, seed, next) };
  });
}

describe('replicating a Synthea sample', () => {
  test('every patient has fresh ids, identifiers and phone; nothing of the template identity is left', () => {
    const rows = dataset(3000, 5);
    const unique = (f: (x: { p: R; ms: R[]; d: R }) => string[]): void => {
      const all = rows.flatMap(f);
      assert.equal(new Set(all).size, all.length);
    };
    unique((r) => [String(r.p['id'])]);
    unique((r) => identifiersOf(r.p).map((i) => `${i.system}|${i.value}`));
    unique((r) => [String((r.p['telecom'] as R[])[0]?.['value'])]);
    unique((r) => [...r.ms.map((m) => String(m['id'])), String(r.d['id'])].map((id, k) => `${k === 2 ? 'D' : 'M'}${id}`));
    const text = JSON.stringify(rows);
    for (const old of ['synthea-1', 'Koch169', 'Demetrice140', '555-604-4968', '999-66-9716', '12 Old Street', 'Ada Koch', '<div>']) assert.equal(text.includes(old), false, old);
  });

  test('the same seed gives the same data set, another seed other identities', () => {
    assert.deepEqual(dataset(50, 9), dataset(50, 9));
    const a = new Set(dataset(200, 1).map((r) => r.p['id']));
    assert.equal(dataset(200, 2).some((r) => a.has(r.p['id'])), false);
    assert.notEqual(ssnOf(7, 1), ssnOf(7, 2));
  });

  test('requests and the dispense point at their patient and pass our rules', () => {
    for (const { p, ms, d } of dataset(20, 3)) {
      assert.equal(ms.length, 2);
      for (const m of ms) {
        assert.deepEqual(parseReference(String((m['subject'] as R)['reference'])), { kind: 'literal', type: 'Patient', id: p['id'] });
        assert.deepEqual(ruleIssues('MedicationRequest', m), []);
      }
      assert.equal(ms[0]?.['status'], 'active');
      assert.equal((d['authorizingPrescription'] as R[])[0]?.['reference'], `MedicationRequest/${String(ms[0]?.['id'])}`);
      assert.deepEqual(ruleIssues('MedicationDispense', d), []);
      assert.ok(Date.parse(String(d['whenHandedOver'])) > Date.parse(String(ms[0]?.['authoredOn'])));
    }
  });

  test('a request that refers to other entries of its bundle (urn:uuid) is no template', () => {
    assert.equal(requestTemplate({ resourceType: 'MedicationRequest', medicationReference: { reference: 'urn:uuid:1' } }), null);
    assert.equal(requestTemplate({ resourceType: 'MedicationRequest', medicationCodeableConcept: { text: 'x' }, note: [{ authorReference: { reference: 'urn:uuid:2' } }] }), null);
    const t = requestTemplate({ resourceType: 'MedicationRequest', medicationCodeableConcept: { text: 'x' }, encounter: { reference: 'urn:uuid:3' }, subject: { reference: 'urn:uuid:4' } });
    assert.deepEqual(t, { resourceType: 'MedicationRequest', medicationCodeableConcept: { text: 'x' } });
  });
});

describe('the profile by stage', () => {
  test('a sample is charged to the innermost stage on its stack, idle apart', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '' }, children: [2, 5] },
        { id: 2, callFrame: { functionName: 'importUnit', url: 'file:///x/dist/ingest/fhir/importer.js' }, children: [3] },
        { id: 3, callFrame: { functionName: 'query', url: 'file:///x/node_modules/pg/lib/client.js' }, children: [4] },
        { id: 4, callFrame: { functionName: 'seal', url: 'file:///x/dist/platform/crypto/envelope.js' } },
        { id: 5, callFrame: { functionName: '(idle)', url: '' } },
      ],
      samples: [3, 4, 4, 5, 2],
      timeDeltas: [0, 1000, 1000, 1000, 1000, 1000],
    };
    const r = profileAreas(profile);
    assert.equal(r.totalMs, 5);
    assert.equal(r.busyMs, 4);
    assert.deepEqual(Object.fromEntries(r.areas.map((a) => [a.area, a.ms])), { 'sealing (AES-GCM)': 2, 'PostgreSQL (pg client)': 1, 'idle (waiting on I/O)': 1, 'other JavaScript': 1 });
  });
});
