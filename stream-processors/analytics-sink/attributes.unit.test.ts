import assert from 'node:assert/strict';
import { test } from 'node:test';
import { safeAttributes } from './attributes.js';
import { medicationClass } from './medication-class.js';

test('given a workflow action naming the medication, analytics keeps its class and drops the name', () => {
  const out = safeAttributes({ taken: 'true', medication: 'Metformin 500 mg', medication_id: '3f0c7a52-1b7e-4c1e-9d2a-5b8f2e6c9d01' });
  assert.deepEqual(out, { medication_class: 'antidiabetic', medication_id: '3f0c7a52-1b7e-4c1e-9d2a-5b8f2e6c9d01', taken: 'true' });
  assert.ok(!JSON.stringify(out).toLowerCase().includes('metformin'));
});

test('unknown keys, free text and names in allowed keys never pass', () => {
  const out = safeAttributes({
    note: 'CANARY patient said hello', answer: 'CANARY', reason: 'Maria Lopez called', taken: 'yes I did',
    medication_id: 'Maria', due_at: 'tomorrow morning', days_left: 'three', priority: 'urgent',
  });
  assert.deepEqual(out, { priority: 'urgent' });
});

test('integration keys in camelCase are renamed, times and numbers kept as given', () => {
  assert.deepEqual(safeAttributes({ resourceType: 'MedicationDispense', daysSupply: '30', starts_at: '2026-12-03T10:30:00.000Z' }),
    { days_supply: '30', resource_type: 'MedicationDispense', starts_at: '2026-12-03T10:30:00.000Z' });
});

test('medication classes: English and Spanish generics, accents and doses; unknown names are other', () => {
  assert.equal(medicationClass('Atorvastatina 20 mg'), 'lipid_lowering');
  assert.equal(medicationClass('LOSARTÁN'), 'antihypertensive');
  assert.equal(medicationClass('insulin glargine 10 units'), 'antidiabetic');
  assert.equal(medicationClass('Levotiroxina'), 'thyroid');
  assert.equal(medicationClass('Frobnicol 5 mg'), 'other');
});
