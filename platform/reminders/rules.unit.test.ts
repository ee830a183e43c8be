import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PlannedReminder } from './plan.js';
import { applyRules, effectiveQuietHours, type DeliveryRules } from './rules.js';

const NY = 'America/New_York';
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 16);
const H = 3_600_000;
const base: DeliveryRules = { timeZone: NY, orgQuietHours: { start: '22:00', end: '07:00' }, doseWindowMs: 10 * H, dailyCap: 0, spreadMs: 0, optedOut: false };

function dose(med: string, isoAt: string, patientId = 'p1'): PlannedReminder {
  return { id: `dose_due:${med}:${isoAt}`, kind: 'dose_due', organizationId: 'o', patientId, planItemId: med, medicationId: med, dueAt: at(isoAt) };
}

describe('quiet hours with a patient override', () => {
  test('given the organisation\'s 22:00–07:00, a 23:00 dose waits for 07:00 and keeps its planned time', () => {
    const { send } = applyRules([dose('met', '2026-01-10T04:00Z')], base);
    assert.deepEqual(send.map((r) => [iso(r.dueAt), iso(r.plannedAt)]), [['2026-01-10T12:00', '2026-01-10T04:00']]);
  });
  test('given the patient\'s own 20:00–09:00, it wins over the organisation\'s; null turns quiet hours off', () => {
    const own = { ...base, patientQuietHours: { start: '20:00', end: '09:00' } };
    assert.equal(iso(applyRules([dose('met', '2026-01-10T12:30Z')], own).send[0]?.dueAt ?? 0), '2026-01-10T14:00', '07:30 EST → 09:00 EST');
    assert.equal(effectiveQuietHours({ ...base, patientQuietHours: null }), null);
    assert.equal(iso(applyRules([dose('met', '2026-01-10T04:00Z')], { ...base, patientQuietHours: null }).send[0]?.dueAt ?? 0), '2026-01-10T04:00');
  });
  test('given a dose window shorter than the wait, the dose keeps its time rather than being missed', () => {
    const { send } = applyRules([dose('met', '2026-01-10T03:30Z')], { ...base, doseWindowMs: 2 * H }); // 22:30 EST, 8.5 h before 07:00
    assert.equal(iso(send[0]?.dueAt ?? 0), '2026-01-10T03:30');
  });
});

describe('grouping, caps, spreading, STOP', () => {
  test('doses of one time become one message naming every medication', () => {
    const { send } = applyRules([dose('met', '2026-01-10T13:00Z'), dose('lis', '2026-01-10T13:00Z'), dose('met', '2026-01-11T01:00Z')], base);
    assert.equal(send.length, 2);
    assert.deepEqual(send[0]?.members, ['dose_due:lis:2026-01-10T13:00Z', 'dose_due:met:2026-01-10T13:00Z']);
    assert.equal(send[0]?.medicationId, 'lis,met');
  });
  test('a dose deferred by quiet hours joins the doses already due at the window\'s end', () => {
    const { send } = applyRules([dose('met', '2026-01-10T04:00Z'), dose('lis', '2026-01-10T12:00Z')], base);
    assert.deepEqual(send.map((r) => r.medicationId), ['lis,met']);
  });
  test('given a cap of 2 a day, the third message of a local day is suppressed, and the next day starts again', () => {
    const planned = ['2026-01-10T13:00Z', '2026-01-10T17:00Z', '2026-01-10T21:00Z', '2026-01-11T13:00Z'].map((t) => dose('met', t));
    const r = applyRules(planned, { ...base, dailyCap: 2 });
    assert.deepEqual(r.send.map((x) => iso(x.dueAt)), ['2026-01-10T13:00', '2026-01-10T17:00', '2026-01-11T13:00']);
    assert.deepEqual(r.suppressed, [{ id: 'dose_due:met:2026-01-10T21:00Z', reason: 'daily_cap' }]);
  });
  test('regression: a re-plan after the morning dose went out still counts it against the day\'s cap', () => {
    // 08:00 EST sent; a new dispense re-plans at 08:05: the pickup and the 20:00 dose compete for the last place.
    const sent = [{ id: 'refill_due:d:2026-01-10T12:00Z', patientId: 'p1', dueAt: at('2026-01-10T12:00Z') }, { id: 'dose_due:met:2026-01-10T13:00Z', patientId: 'p1', dueAt: at('2026-01-10T13:00Z') }];
    const pickup: PlannedReminder = { id: 'pickup_due:d2:2026-01-10T13:05Z', kind: 'pickup_due', organizationId: 'o', patientId: 'p1', planItemId: 'd2', medicationId: 'met', dueAt: at('2026-01-10T13:05Z') };
    const refill: PlannedReminder = { ...pickup, id: 'refill_due:d:2026-01-10T12:00Z', kind: 'refill_due', dueAt: at('2026-01-10T12:00Z') }; // still planned (late rather than never): counted once
    const r = applyRules([refill, pickup, dose('met', '2026-01-11T01:00Z')], { ...base, dailyCap: 3, alreadySent: sent });
    assert.deepEqual(r.send.map((x) => x.kind), ['refill_due', 'pickup_due']);
    assert.deepEqual(r.suppressed, [{ id: 'dose_due:met:2026-01-11T01:00Z', reason: 'daily_cap' }]);
  });
  test('a grouped message counts once against the cap', () => {
    const r = applyRules([dose('a', '2026-01-10T13:00Z'), dose('b', '2026-01-10T13:00Z'), dose('a', '2026-01-10T21:00Z')], { ...base, dailyCap: 2 });
    assert.equal(r.send.length, 2);
    assert.equal(r.suppressed.length, 0);
  });
  test('1,000 patients due at 08:00 are spread over the 5-minute window, stably, none early', () => {
    const planned = Array.from({ length: 1000 }, (_, i) => dose('met', '2026-01-10T13:00Z', `p${i}`));
    const rules = { ...base, spreadMs: 5 * 60_000 };
    const first = applyRules(planned, rules).send.map((r) => r.dueAt - at('2026-01-10T13:00Z'));
    assert.ok(first.every((d) => d >= 0 && d < 5 * 60_000));
    const perMinute = [0, 1, 2, 3, 4].map((m) => first.filter((d) => Math.floor(d / 60_000) === m).length);
    assert.ok(perMinute.every((n) => n > 150 && n < 250), `about 200 a minute: ${perMinute.join(',')}`);
    assert.deepEqual(applyRules(planned, rules).send.map((r) => r.dueAt - at('2026-01-10T13:00Z')), first, 'the same on re-planning');
  });
  test('STOP on record suppresses every reminder', () => {
    const r = applyRules([dose('met', '2026-01-10T13:00Z'), dose('lis', '2026-01-10T13:00Z')], { ...base, optedOut: true });
    assert.deepEqual(r.send, []);
    assert.deepEqual(r.suppressed.map((s) => s.reason), ['opted_out', 'opted_out']);
  });
});
