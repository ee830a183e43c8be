import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { occurrenceId, plannedAtOf, shardOf } from './ids.js';
import { doseOccurrences, scheduleOccurrences, type DosageTiming, type OccurrenceWindow } from './occurrences.js';
import { planDoses } from './plan.js';
import { refillDueAt, supplyDays } from './refill.js';
import { DEFAULT_ROUTINE, routineWith } from './routine.js';

const NY = 'America/New_York';
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 16);
const window = (from: string, to: string, extra: Partial<OccurrenceWindow> = {}): OccurrenceWindow =>
  ({ from: at(from), to: at(to), timeZone: NY, routine: DEFAULT_ROUTINE, anchor: at('2026-01-01T00:00Z'), ...extra });
const twiceDaily: DosageTiming = { frequency: 2, period: 1, periodUnit: 'd' };

describe('dose occurrences from a FHIR timing', () => {
  test('given "twice a day" without times, when planned, then the routine\'s 08:00 and 20:00 local', () => {
    const got = doseOccurrences(twiceDaily, window('2026-01-10T00:00Z', '2026-01-12T00:00Z'));
    assert.deepEqual(got.map((o) => o.local), ['2026-01-09T20:00', '2026-01-10T08:00', '2026-01-10T20:00', '2026-01-11T08:00'], 'the 11th\'s 20:00 is 01:00Z on the 12th, past the window');
    assert.deepEqual(got.map((o) => iso(o.at)).slice(1, 3), ['2026-01-10T13:00', '2026-01-11T01:00'], 'EST is UTC-5');
  });

  test('given an organisation whose "twice a day" is 09:00 and 21:00, then those times', () => {
    const routine = routineWith(DEFAULT_ROUTINE, { daily: { 2: ['09:00', '21:00'] } });
    const got = doseOccurrences(twiceDaily, window('2026-01-10T05:00Z', '2026-01-11T05:00Z', { routine }));
    assert.deepEqual(got.map((o) => o.local), ['2026-01-10T09:00', '2026-01-10T21:00']);
    assert.throws(() => routineWith(DEFAULT_ROUTINE, { moments: { bed: '25:00' } }), /bed/);
  });

  test('given stated times of day, then those, whatever the frequency says', () => {
    const got = doseOccurrences({ ...twiceDaily, timeOfDay: ['07:15:00', '19:45:00'] }, window('2026-01-10T05:00Z', '2026-01-11T05:00Z'));
    assert.deepEqual(got.map((o) => o.local), ['2026-01-10T07:15', '2026-01-10T19:45']);
  });

  test('given event codes, then meal-relative times from the routine (offset before AC, after PC) and bedtime', () => {
    const got = doseOccurrences({ when: ['ACM', 'PCV', 'HS'], offset: 15 }, window('2026-01-10T05:00Z', '2026-01-11T05:00Z'));
    assert.deepEqual(got.map((o) => o.local), ['2026-01-10T07:45', '2026-01-10T19:15', '2026-01-10T22:00']);
    const defaults = doseOccurrences({ when: ['AC'] }, window('2026-01-10T05:00Z', '2026-01-11T05:00Z'));
    assert.deepEqual(defaults.map((o) => o.local.slice(11)), ['07:30', '12:30', '18:30']);
  });

  test('given a spring-forward day in New York, then doses keep their wall time and a skipped 02:30 moves to 03:30', () => {
    const got = doseOccurrences(twiceDaily, window('2026-03-07T12:00Z', '2026-03-09T00:00Z'));
    assert.deepEqual(got.map((o) => iso(o.at)), ['2026-03-07T13:00', '2026-03-08T01:00', '2026-03-08T12:00']);
    assert.equal((got[2]?.at ?? 0) - (got[1]?.at ?? 0), 11 * 3_600_000, 'the night before is an hour shorter');
    const gap = doseOccurrences({ timeOfDay: ['02:30'] }, window('2026-03-08T00:00Z', '2026-03-09T00:00Z'));
    assert.deepEqual(gap.map((o) => iso(o.at)), ['2026-03-08T07:30'], '03:30 EDT');
  });

  test('given a fall-back day in New York, then 08:00 is 08:00 EST and a doubled 01:30 fires once, the first time', () => {
    const got = doseOccurrences(twiceDaily, window('2026-10-31T12:00Z', '2026-11-02T00:00Z'));
    assert.deepEqual(got.map((o) => iso(o.at)), ['2026-10-31T12:00', '2026-11-01T00:00', '2026-11-01T13:00']);
    const twice = doseOccurrences({ timeOfDay: ['01:30'] }, window('2026-11-01T00:00Z', '2026-11-02T00:00Z'));
    assert.deepEqual(twice.map((o) => iso(o.at)), ['2026-11-01T05:30'], '01:30 EDT, not 01:30 EST');
  });

  test('given every 8 hours across the fall-back change, then the gaps stay 8 real hours', () => {
    const got = doseOccurrences({ frequency: 1, period: 8, periodUnit: 'h', boundsStart: '2026-10-31T11:00:00Z' }, window('2026-10-31T00:00Z', '2026-11-02T00:00Z'));
    const gaps = got.slice(1).map((o, i) => o.at - (got[i]?.at ?? 0));
    assert.ok(got.length >= 4 && gaps.every((g) => g === 8 * 3_600_000), `gaps ${gaps.join(',')}`);
  });

  test('given a course of 3 doses, then three in all, numbered from the start whatever the window', () => {
    const t: DosageTiming = { ...twiceDaily, count: 3, boundsStart: '2026-01-10T05:00:00Z' };
    assert.equal(doseOccurrences(t, window('2026-01-01T00:00Z', '2026-02-01T00:00Z')).length, 3);
    assert.deepEqual(doseOccurrences(t, window('2026-01-11T05:00Z', '2026-02-01T00:00Z')).map((o) => o.local), ['2026-01-11T08:00']);
  });

  test('given bounds, then nothing outside them; as-needed and per-second timings give nothing', () => {
    const bounded = doseOccurrences({ ...twiceDaily, boundsStart: '2026-01-10T00:00:00Z', boundsDurationDays: 2 }, window('2026-01-01T00:00Z', '2026-02-01T00:00Z'));
    assert.equal(bounded.length, 4);
    assert.deepEqual(doseOccurrences({ ...twiceDaily, asNeeded: true }, window('2026-01-01T00:00Z', '2026-02-01T00:00Z')), []);
    assert.deepEqual(doseOccurrences({ frequency: 1, period: 30, periodUnit: 's' }, window('2026-01-01T00:00Z', '2026-01-02T00:00Z')), []);
  });

  test('given weekly on Monday, every other day, and twice a week, then the right days', () => {
    const w = window('2026-01-05T00:00Z', '2026-01-19T00:00Z', { anchor: at('2026-01-05T12:00Z') });
    assert.deepEqual(doseOccurrences({ frequency: 1, period: 1, periodUnit: 'wk', dayOfWeek: ['mon'] }, w).map((o) => o.local), ['2026-01-05T08:00', '2026-01-12T08:00']);
    assert.deepEqual(doseOccurrences({ frequency: 1, period: 2, periodUnit: 'd' }, w).map((o) => o.local.slice(8, 10)), ['05', '07', '09', '11', '13', '15', '17']);
    assert.deepEqual(doseOccurrences({ frequency: 2, period: 1, periodUnit: 'wk' }, w).map((o) => o.local.slice(0, 10)), ['2026-01-05', '2026-01-08', '2026-01-12', '2026-01-15']);
  });
});

describe('the API\'s schedule times and the plan', () => {
  test('given HH:MM times, then those times every day; bad ones are ignored', () => {
    const got = scheduleOccurrences(['08:30', '9pm', '21:00'], window('2026-01-10T05:00Z', '2026-01-11T05:00Z'));
    assert.deepEqual(got.map((o) => o.local), ['2026-01-10T08:30', '2026-01-10T21:00']);
  });

  test('given an item, then ids are plan item + time, stable across runs, and name no medication', () => {
    const item = { id: 'med_abc', organizationId: 'org', patientId: 'pt_1', scheduleTimes: ['08:00'], timing: [twiceDaily], active: true };
    const w = window('2026-01-10T05:00Z', '2026-01-11T05:00Z');
    const a = planDoses(item, w);
    assert.deepEqual(a.map((r) => r.id), ['dose_due:med_abc:2026-01-10T13:00:00.000Z', 'dose_due:med_abc:2026-01-11T01:00:00.000Z'], 'the FHIR timing wins over the times list');
    assert.deepEqual(planDoses(item, w), a);
    assert.deepEqual(planDoses({ ...item, active: false }, w), []);
    assert.deepEqual(planDoses({ ...item, timing: [] }, w).map((r) => r.dueAt), [at('2026-01-10T13:00Z')]);
  });

  test('shards are stable and in range', () => {
    const shards = Array.from({ length: 1000 }, (_, i) => shardOf(`pt_${i}`, 12));
    assert.ok(shards.every((s) => s >= 0 && s < 12));
    assert.equal(new Set(shards).size, 12, 'every shard gets patients');
    assert.equal(shardOf('pt_42', 12), shardOf('pt_42', 12));
    assert.equal(occurrenceId('refill_due', 'd1', 0), 'refill_due:d1:1970-01-01T00:00:00.000Z');
  });
});

describe('refill due from a dispense', () => {
  test('given 30 days handed over on 1 January, lead 3 days, then 28 January at 10:00 local', () => {
    const due = refillDueAt({ handedOverAt: at('2026-01-01T20:00Z'), daysSupply: 30 }, { leadDays: 3, at: '10:00', timeZone: NY });
    assert.equal(iso(due ?? 0), '2026-01-28T15:00');
  });

  test('given quantity and daily dose instead, then quantity ÷ doses a day; unknown supply gives no date', () => {
    assert.equal(supplyDays({ handedOverAt: 0, quantity: 60, dosesPerDay: 2 }), 30);
    assert.equal(refillDueAt({ handedOverAt: 0 }, { leadDays: 3, at: '10:00', timeZone: NY }), null);
  });

  test('given a lead longer than the supply, then the hand-over day itself, never before it', () => {
    const handed = at('2026-03-08T15:00Z');
    assert.equal(refillDueAt({ handedOverAt: handed, daysSupply: 2 }, { leadDays: 5, at: '09:00', timeZone: NY }), handed);
  });
});

test('an occurrence id gives back its planned instant (the quiet-hours metric compares it with the due time)', () => {
  const t = at('2026-03-08T12:00:00Z');
  assert.equal(plannedAtOf(occurrenceId('dose_due', 'med:with:colons', t)), t);
  assert.equal(plannedAtOf('dose_due:rx1:x'), null);
});
