import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { communicationOf, medicationStatementOf } from './derived.js';
import { exportTypes } from './export.js';
import { fhirFacing, fromFhirId, toFhirId } from './fhir-ids.js';
import { bundleResponse } from './import-routes.js';
import { issue, rejectOutcome } from './outcome.js';
import { carePlanMedication, project, signalOf } from './project.js';
import { EntryScanner } from './readers.js';
import { canonicalJson, parseReference, referenceSites } from './references.js';
import { oversizedString, ruleIssues } from './rules.js';
import { progressLine } from './progress.js';

describe('Bundle scanner', () => {
  test('finds each top-level entry across chunk boundaries, whatever the strings hold', () => {
    const bundle = JSON.stringify({ resourceType: 'Bundle', type: 'batch', meta: { tag: [{ code: '"entry": [' }] }, entry: [{ resource: { resourceType: 'Patient', id: 'a', name: [{ text: 'x}]{' }] } }, { resource: { resourceType: 'Slot', id: 'b' } }] });
    for (const size of [1, 3, 7, 1000]) {
      const s = new EntryScanner(1_000_000);
      const out: Array<string | null> = [];
      for (let i = 0; i < bundle.length; i += size) out.push(...s.push(bundle.slice(i, i + size)));
      assert.equal(s.finish(), undefined);
      assert.equal(s.resourceType, 'Bundle');
      assert.deepEqual(out.map((e) => (JSON.parse(e ?? 'null') as { resource: { id: string } }).resource.id), ['a', 'b'], `chunk ${size}`);
    }
  });

  test('an entry over the limit comes out as null; a cut file is reported', () => {
    const s = new EntryScanner(50);
    assert.deepEqual(s.push(JSON.stringify({ resourceType: 'Bundle', entry: [{ resource: { text: 'y'.repeat(100) } }, { resource: {} }] })).map((e) => e === null), [true, false]);
    const cut = new EntryScanner(50);
    cut.push('{"resourceType": "Bundle", "entry": [{"resource": {');
    assert.equal(cut.finish()?.code, 'structure');
  });
});

describe('references', () => {
  test('urn, literal, conditional and external references are told apart', () => {
    assert.deepEqual(parseReference('urn:uuid:1-2'), { kind: 'urn', key: 'urn:uuid:1-2' });
    assert.deepEqual(parseReference('Patient/123'), { kind: 'literal', type: 'Patient', id: '123' });
    assert.deepEqual(parseReference('Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|999'), { kind: 'conditional', type: 'Practitioner', system: 'http://hl7.org/fhir/sid/us-npi', value: '999' });
    assert.equal(parseReference('https://other.example/fhir/Patient/1').kind, 'other');
    assert.equal(parseReference('#contained').kind, 'other');
  });

  test('sites are found with their path, contained resources left alone', () => {
    const sites = referenceSites({ resourceType: 'Appointment', participant: [{ actor: { reference: 'Patient/1' } }], contained: [{ subject: { reference: 'Patient/2' } }] }, 'Appointment');
    assert.deepEqual(sites.map((s) => [s.path, s.reference]), [['Appointment.participant[0].actor', 'Patient/1']]);
  });

  test('canonical JSON does not depend on key order', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }));
  });
});

describe('rules', () => {
  test('the codes we act on and the elements we need', () => {
    assert.deepEqual(ruleIssues('MedicationRequest', { status: 'taking', intent: 'order', subject: {}, medicationCodeableConcept: {} }).map((i) => i.code), ['code-invalid']);
    assert.deepEqual(ruleIssues('MedicationDispense', { status: 'completed', medicationCodeableConcept: {} }).map((i) => i.expression?.[0]), ['MedicationDispense.subject']);
    assert.equal(ruleIssues('MedicationRequest', { status: 'active', intent: 'order', subject: {}, medicationReference: {}, dosageInstruction: [{ timing: { repeat: { frequency: 2, period: 1, periodUnit: 'days' } } }] })[0]?.code, 'code-invalid');
    assert.equal(oversizedString({ a: [{ b: 'x'.repeat(11) }] }, 10, 'R'), 'R.a[0].b');
  });
});

describe('projection', () => {
  const mr = { resourceType: 'MedicationRequest', id: 'mr_1', status: 'active', intent: 'order', subject: { reference: 'Patient/pt_1' }, medicationCodeableConcept: { text: 'Metformin 500 MG' },
    dosageInstruction: [{ text: 'with food', timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet' } }] }] };

  test('a prescription becomes a timing row without its name, and a care-plan line with it', () => {
    const p = project('MedicationRequest', mr);
    assert.equal(p?.table, 'medication_requests');
    assert.equal(p?.patientId, 'pt_1');
    assert.ok(!JSON.stringify(p).includes('Metformin'));
    assert.deepEqual(carePlanMedication(mr, 'pt_1'), { id: 'mr_1', patientId: 'pt_1', name: 'Metformin 500 MG', dose: '1 tablet', times: ['08:00', '20:00'], instructions: 'with food', active: true });
  });

  test('signals: started, then stopped', () => {
    assert.equal(signalOf('MedicationRequest', mr, 'created', null)?.type, 'medication_started');
    assert.equal(signalOf('MedicationRequest', { ...mr, status: 'stopped' }, 'updated', 'active')?.type, 'medication_stopped');
    assert.equal(signalOf('Appointment', { id: 'a', status: 'booked' }, 'created', null)?.type, 'appointment_booked');
  });

  test('progress: a bar on a TTY, a plain line otherwise', () => {
    const p = { bytesDone: 50, bytesTotal: 100, resources: 1000, rejected: 2, elapsedMs: 10_000 };
    assert.match(progressLine(p, true), /^\[#{15}\.{15}\]  50\.0%  1000 resources  100\/s  2 rejected  elapsed 0:10  ETA 0:10$/);
    assert.ok(!progressLine(p, false).includes('['));
  });
});

describe('FHIR boundary', () => {
  test('our pt_/mr_ ids become R4 ids and back; references to ours are rewritten, others left alone', () => {
    const pt = 'pt_0123456789ABCDEFGHIJKL';
    assert.equal(toFhirId(pt), 'pt-0123456789ABCDEFGHIJKL');
    assert.equal(fromFhirId(toFhirId(pt)), pt);
    assert.equal(fromFhirId('some-sender-id'), 'some-sender-id');
    const r = fhirFacing({ resourceType: 'MedicationRequest', id: 'mr_0123456789ABCDEFGHIJKL', subject: { reference: `Patient/${pt}` }, note: [{ authorReference: { reference: 'Practitioner/abc_def' } }] });
    assert.equal(r.id, 'mr-0123456789ABCDEFGHIJKL');
    assert.equal(r.subject.reference, 'Patient/pt-0123456789ABCDEFGHIJKL');
    assert.equal(r.note[0]?.authorReference.reference, 'Practitioner/abc_def');
  });

  test('a conversation line is a Communication from the patient or to them; adherence a MedicationStatement', () => {
    const pt = 'pt_0123456789ABCDEFGHIJKL';
    const said = communicationOf(pt, { id: 'm1', from: 'patient', text: 'taken', quickReplies: [], at: 0 });
    assert.deepEqual(said['sender'], { reference: `Patient/${pt}` });
    assert.equal(said['sent'], '1970-01-01T00:00:00.000Z');
    assert.deepEqual(communicationOf(pt, { id: 'm2', from: 'assistant', text: 'hi', quickReplies: [], at: 0 })['recipient'], [{ reference: `Patient/${pt}` }]);
    assert.notEqual(said['id'], communicationOf(pt, { id: 'm2', from: 'patient', text: 'taken', quickReplies: [], at: 0 })['id']);
    const row = { id: 'a1', patientId: pt, medicationId: 'mr_x', medicationName: 'Metformin', fromRequest: true, taken: false, occurredAt: new Date(0) };
    const ms = medicationStatementOf(row);
    assert.equal(ms['status'], 'not-taken');
    assert.deepEqual(ms['basedOn'], [{ reference: 'MedicationRequest/mr_x' }]);
    assert.equal(medicationStatementOf({ ...row, fromRequest: false })['basedOn'], undefined, 'no reference that would dangle');
  });

  test('$export _type: the types asked for, in export order; an unknown one refused by name', () => {
    assert.deepEqual(exportTypes('MedicationStatement,Patient'), ['Patient', 'MedicationStatement']);
    assert.ok(exportTypes(undefined).includes('Communication'));
    assert.throws(() => exportTypes('Patient,Observation'), /Observation is not exported/);
  });
});

describe('batch-response', () => {
  test('one entry per request entry, in order: created, unchanged, ignored, rejected with its outcome', () => {
    const res = {
      results: [
        { index: 0, type: 'Patient', id: 'pt_0123456789ABCDEFGHIJKL', change: 'created' as const },
        { index: 2, type: 'Encounter', id: null, change: 'ignored' as const },
        { index: 3, type: 'Slot', id: 'slt_0123456789ABCDEFGHIJKL', change: 'unchanged' as const },
      ],
      rejects: [rejectOutcome({ file: 'request', index: 1, resourceType: 'MedicationRequest' }, [issue('code-invalid', 'bad status', 'MedicationRequest.status')])],
      deferred: [],
    };
    const out = bundleResponse('batch', 4, res) as { type: string; entry: Array<{ response: { status: string; location?: string; outcome?: { issue: Array<{ code: string; severity: string }> } } }> };
    assert.equal(out.type, 'batch-response');
    assert.deepEqual(out.entry.map((e) => e.response.status), ['201 Created', '422 Unprocessable Entity', '422 Unprocessable Entity', '200 OK']);
    assert.equal(out.entry[0]?.response.location, 'Patient/pt-0123456789ABCDEFGHIJKL');
    assert.equal(out.entry[1]?.response.outcome?.issue[0]?.code, 'code-invalid');
    assert.equal(out.entry[2]?.response.outcome?.issue[0]?.severity, 'warning');
  });
});

describe('a patient address with FHIR geolocation', () => {
  const geo = (lat: unknown, lon: unknown): Record<string, unknown> => ({
    line: ['1 Main St'], city: 'Boston',
    extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/geolocation', extension: [{ url: 'latitude', valueDecimal: lat }, { url: 'longitude', valueDecimal: lon }] }],
  });

  test('given latitude and longitude in range, then the vault identity keeps the position with the address', async () => {
    const { patientIdentity } = await import('./project.js');
    const r = patientIdentity({ resourceType: 'Patient', id: 'p1', address: [geo(42.36, -71.06)] });
    assert.deepEqual(r.identity.address?.position, { lat: 42.36, lon: -71.06 });
  });

  test('given a position out of range or half of one, then no position is kept', async () => {
    const { geolocationOf } = await import('./project.js');
    assert.deepEqual(geolocationOf(geo(142, 10)), {});
    assert.deepEqual(geolocationOf(geo('42', -71)), {});
    assert.deepEqual(geolocationOf({ line: ['x'] }), {});
  });
});
