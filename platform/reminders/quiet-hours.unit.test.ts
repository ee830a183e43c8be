import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planPatient } from './plan.js';
import { deferForQuietHours, parseQuietHours } from './quiet-hours.js';
import { DEFAULT_ROUTINE } from './routine.js';

const NY = 'America/New_York';
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 16);
const night = { start: '22:00', end: '07:00' };

describe('quiet hours', () => {
  test('given a window over midnight, when a reminder falls before midnight, then it waits for 07:00 the next day', () => {
    assert.equal(iso(deferForQuietHours(at('2026-01-10T04:00Z'), night, NY)), '2026-01-10T12:00', '23:00 EST → 07:00 EST');
  });

  test('given a window over midnight, when a reminder falls after midnight, then 07:00 the same day', () => {
    assert.equal(iso(deferForQuietHours(at('2026-01-10T07:30Z'), night, NY)), '2026-01-10T12:00', '02:30 EST → 07:00 EST');
  });

  test('given a reminder outside the window or at its end, then it is unchanged; no window changes nothing', () => {
    for (const t of ['2026-01-10T12:00Z', '2026-01-10T13:00Z', '2026-01-11T02:59Z']) assert.equal(deferForQuietHours(at(t), night, NY), at(t));
    assert.equal(deferForQuietHours(at('2026-01-10T04:00Z'), null, NY), at('2026-01-10T04:00Z'));
  });

  test('given a same-day window (a siesta), then its end the same day', () => {
    assert.equal(iso(deferForQuietHours(at('2026-01-10T19:30Z'), { start: '14:00', end: '16:00' }, NY)), '2026-01-10T21:00', '14:30 EST → 16:00 EST');
  });

  test('given the fall-back night in New York, then 07:00 is 07:00 EST (12:00Z), and on the spring-forward night 07:00 EDT (11:00Z)', () => {
    assert.equal(iso(deferForQuietHours(at('2026-11-01T03:00Z'), night, NY)), '2026-11-01T12:00', '23:00 EDT on the 31st');
    assert.equal(iso(deferForQuietHours(at('2026-03-08T04:00Z'), night, NY)), '2026-03-08T11:00', '23:00 EST on the 7th');
  });

  test('settings that are missing or malformed mean no quiet hours', () => {
    assert.deepEqual(parseQuietHours({ start: '22:00', end: '07:00' }), night);
    for (const bad of [null, undefined, {}, { start: '22:00' }, { start: '25:00', end: '07:00' }, { start: '07:00', end: '07:00' }, 'x']) assert.equal(parseQuietHours(bad), null);
  });

  test('given a patient\'s 23:00 dose and quiet hours 22:00–07:00, when planned, then due at 07:00 with the id of the 23:00 dose', () => {
    const plan = {
      organizationId: 'org', patientId: 'pt', timeZone: NY, routine: DEFAULT_ROUTINE, quietHours: night, dispenses: [],
      items: [{ id: 'rx1', organizationId: 'org', patientId: 'pt', scheduleTimes: ['23:00'], timing: [], active: true, anchor: at('2026-01-01T00:00Z') }],
    };
    const [r] = planPatient(plan, at('2026-01-10T05:00Z'), at('2026-01-11T05:00Z'), { refillLeadDays: 3, refillAt: '10:00' });
    assert.equal(r?.id, 'dose_due:rx1:2026-01-11T04:00:00.000Z', 'the planned 23:00 EST');
    assert.equal(iso(r?.dueAt ?? 0), '2026-01-11T12:00', '07:00 EST the next morning');
  });
});
