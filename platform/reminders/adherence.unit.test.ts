import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adherenceByMedication, consecutiveMissed, doseAdherence, doseOutcome, localDay, pdc, streaks, type DoseRecord } from './adherence.js';

const H = 3_600_000;
const at = (iso: string): number => Date.parse(iso);
const NY = 'America/New_York';

describe('dose outcome', () => {
  const due = at('2026-05-01T12:00Z');
  test('a yes within two hours is taken; later is taken late; even a day later it still counts', () => {
    assert.equal(doseOutcome(due, { kind: 'taken', at: due + 30 * 60_000 }, due + H), 'taken');
    assert.equal(doseOutcome(due, { kind: 'taken', at: due + 3 * H }, due + 3 * H), 'taken_late');
    assert.equal(doseOutcome(due, { kind: 'taken', at: due + 30 * H }, due + 30 * H), 'taken_late', 'a late answer after the close still counts');
  });
  test('skipped is skipped; no answer stays open until the close, then unknown', () => {
    assert.equal(doseOutcome(due, { kind: 'skipped', at: due + H }, due + H), 'skipped');
    assert.equal(doseOutcome(due, null, due + 23 * H), null);
    assert.equal(doseOutcome(due, null, due + 24 * H), 'unknown');
  });
});

describe('dose adherence and streaks', () => {
  const now = at('2026-05-31T23:00Z');
  const rec = (medicationId: string, iso: string, outcome: DoseRecord['outcome']): DoseRecord => ({ medicationId, dueAt: at(iso), outcome });
  const records = [
    rec('met', '2026-05-28T12:00Z', 'taken'), rec('met', '2026-05-29T12:00Z', 'taken_late'), rec('met', '2026-05-30T12:00Z', 'skipped'),
    rec('met', '2026-05-31T12:00Z', 'unknown'), rec('met', '2026-05-31T22:00Z', null), rec('met', '2026-04-01T12:00Z', 'taken'),
    rec('lis', '2026-05-30T12:00Z', 'taken'), rec('lis', '2026-05-31T12:00Z', 'taken'),
  ];
  test('per medication: taken and taken late count, skipped and unknown do not, open ones are left out, the window bounds it', () => {
    const met7 = doseAdherence(records, 'met', 7, now);
    assert.deepEqual({ ...met7 }, { doses: 4, taken: 1, takenLate: 1, skipped: 1, unknown: 1, rate: 0.5 });
    assert.equal(doseAdherence(records, 'met', 90, now).doses, 5, 'April is inside 90 days');
    assert.equal(doseAdherence(records, 'lis', 30, now).rate, 1);
    assert.equal(doseAdherence(records, 'none', 30, now).rate, null);
  });
  test('by medication gives 7/30/90 windows and streaks', () => {
    const all = adherenceByMedication(records, now, NY);
    assert.deepEqual(all.map((m) => [m.medicationId, m.windows[7].rate, m.windows[90].rate, m.streaks.current]), [['lis', 1, 1, 2], ['met', 0.5, 0.6, 0]]);
  });
  test('a streak counts local days on which every dose was taken; a missed dose breaks it', () => {
    const s = streaks([
      rec('m', '2026-05-01T12:00Z', 'taken'), rec('m', '2026-05-02T12:00Z', 'taken'), rec('m', '2026-05-03T12:00Z', 'taken'),
      rec('m', '2026-05-04T12:00Z', 'taken'), rec('m', '2026-05-04T23:00Z', 'skipped'), // 19:00 EDT on the 4th
      rec('m', '2026-05-05T12:00Z', 'taken_late'), rec('m', '2026-05-06T02:00Z', 'taken'), // 22:00 EDT on the 5th
    ], NY);
    assert.deepEqual(s, { current: 1, longest: 3 });
  });
  test('consecutive missed counts the latest closed doses that were not taken', () => {
    assert.equal(consecutiveMissed(records.filter((r) => r.medicationId === 'met')), 2);
    assert.equal(consecutiveMissed(records.filter((r) => r.medicationId === 'lis')), 0);
  });
});

describe('PDC (Pharmacy Quality Alliance)', () => {
  test('an early refill is shifted to when the previous supply ends; coverage past the period is cut off', () => {
    // 30 days on day 0, an early refill on day 25 (covers 30–59), a late one on day 80 (covers 80–89 in the period).
    const r = pdc([{ day: 0, daysSupply: 30 }, { day: 25, daysSupply: 30 }, { day: 80, daysSupply: 30 }], 0, 89);
    assert.deepEqual(r, { treatmentDays: 90, coveredDays: 70, pdc: 70 / 90, eligible: true });
  });
  test('the treatment period starts at the first fill in the period (the index date), not the period start', () => {
    const r = pdc([{ day: 10, daysSupply: 30 }, { day: 40, daysSupply: 30 }], 0, 69);
    assert.deepEqual(r, { treatmentDays: 60, coveredDays: 60, pdc: 1, eligible: true });
  });
  test('one fill only is outside PQA\'s denominator; no fill has no PDC', () => {
    assert.equal(pdc([{ day: 0, daysSupply: 30 }], 0, 59).eligible, false);
    assert.equal(pdc([{ day: 0, daysSupply: 30 }], 0, 59).pdc, 0.5);
    assert.deepEqual(pdc([], 0, 59), { treatmentDays: 0, coveredDays: 0, pdc: null, eligible: false });
  });
  test('a fill counts on the patient\'s local day', () => {
    assert.equal(localDay(at('2026-05-02T02:00Z'), NY) + 1, localDay(at('2026-05-02T12:00Z'), NY), '22:00 EDT on the 1st is the 1st');
  });
});
