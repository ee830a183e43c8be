import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDateParsers } from '../nlu/dates.js';
import { appointmentFor, ifNoneExist } from './appointment.js';
import { backoffMs, classifyHospitalAnswer } from './hospital-outcome.js';
import { chooseSlots, type FreeSlot } from './slots.js';
import { askedTime, partOfDayIn } from './when.js';

const parsers = createDateParsers();
const tz = 'America/New_York';
// Tuesday 1 December 2026, 10:00 in New York.
const now = Date.parse('2026-12-01T15:00:00Z');
const iso = (ms: number | undefined): string => new Date(ms ?? NaN).toISOString();

describe('free dates', () => {
  test('"next Tuesday afternoon" is next week\'s Tuesday, in the afternoon, in the patient\'s zone', () => {
    const a = askedTime(parsers, 'can I come next Tuesday afternoon?', 'en', now, tz);
    assert.equal(iso(a.from), '2026-12-08T05:00:00.000Z');
    assert.equal(iso(a.to), '2026-12-09T05:00:00.000Z');
    assert.equal(a.partOfDay, 'afternoon');
  });

  test('"el martes que viene por la tarde" on a Tuesday is next week\'s, not today', () => {
    const a = askedTime(parsers, 'el martes que viene por la tarde', 'es', now, tz);
    assert.equal(iso(a.from), '2026-12-08T05:00:00.000Z');
    assert.equal(a.partOfDay, 'afternoon');
  });

  test('"mañana" is tomorrow; "por la mañana" is the morning', () => {
    assert.equal(partOfDayIn('mañana', 'es'), undefined);
    assert.equal(partOfDayIn('mañana por la mañana', 'es'), 'morning');
    const a = askedTime(parsers, 'mañana', 'es', now, tz);
    assert.equal(iso(a.from), '2026-12-02T05:00:00.000Z');
  });

  test('a time of day asks for a window around it; no date asks for nothing', () => {
    const a = askedTime(parsers, 'friday at 3pm', 'en', now, tz);
    assert.equal(iso(a.from), '2026-12-04T19:30:00.000Z');
    assert.deepEqual(askedTime(parsers, 'whenever suits', 'en', now, tz), {});
  });
});

describe('choosing slots', () => {
  const h = 3_600_000;
  const at = (isoTime: string, id: string): FreeSlot => ({ id, startsAt: Date.parse(isoTime), endsAt: Date.parse(isoTime) + h / 2 });
  const slots = [
    at('2026-12-01T15:30:00Z', 'too-soon'), at('2026-12-02T14:00:00Z', 'wed-9'), at('2026-12-02T14:30:00Z', 'wed-930'),
    at('2026-12-02T19:00:00Z', 'wed-14'), at('2026-12-03T14:00:00Z', 'thu-9'), at('2026-12-08T19:00:00Z', 'tue-14'), at('2026-12-08T14:00:00Z', 'tue-9'),
  ];

  test('the next days, one per day first, never within the lead time', () => {
    assert.deepEqual(chooseSlots(slots, { now, timeZone: tz }).map((s) => s.id), ['wed-9', 'thu-9', 'tue-9']);
  });

  test('the profile\'s preferred afternoon comes first, then the mornings of other days', () => {
    assert.deepEqual(chooseSlots(slots, { now, timeZone: tz, preferred: 'afternoon' }).map((s) => s.id), ['wed-14', 'tue-14', 'thu-9']);
  });

  test('an asked window and part of the day are requirements', () => {
    const asked = askedTime(parsers, 'next Tuesday afternoon', 'en', now, tz);
    assert.deepEqual(chooseSlots(slots, { now, timeZone: tz, ...asked }).map((s) => s.id), ['tue-14']);
    assert.deepEqual(chooseSlots(slots, { now, timeZone: tz, ...askedTime(parsers, 'next Tuesday evening', 'en', now, tz) }), []);
  });
});

describe('the hospital\'s answer', () => {
  test('refusals release the slot; failures without an answer are retried', () => {
    assert.deepEqual(classifyHospitalAnswer(201), { kind: 'ok' });
    assert.deepEqual(classifyHospitalAnswer(409), { kind: 'refused', reason: 'slot_taken' });
    assert.deepEqual(classifyHospitalAnswer(422, 'business-rule'), { kind: 'refused', reason: 'invalid' });
    assert.deepEqual(classifyHospitalAnswer(503), { kind: 'retry', reason: 'unavailable' });
    assert.deepEqual(classifyHospitalAnswer(null), { kind: 'retry', reason: 'timeout' });
    assert.deepEqual(classifyHospitalAnswer(429), { kind: 'retry', reason: 'throttled' });
  });

  test('backoff doubles, is capped and jitters down only', () => {
    assert.equal(backoffMs(1, 100, 1000, () => 0), 100);
    assert.equal(backoffMs(3, 100, 1000, () => 0), 400);
    assert.equal(backoffMs(10, 100, 1000, () => 0), 1000);
    assert.equal(backoffMs(3, 100, 1000, () => 1), 320);
  });

  test('the Appointment carries the booking id the conditional create searches on, and no PHI', () => {
    const a = appointmentFor({ bookingId: 'bk_1', hospitalSlotId: 's9', startsAt: 0, endsAt: 1_800_000, patientId: 'pt_x', serviceTypeCodes: ['http://snomed.info/sct|394579002'] });
    assert.deepEqual(a['identifier'], [{ system: 'https://careloop.org/fhir/booking', value: 'bk_1' }]);
    assert.deepEqual(a['slot'], [{ reference: 'Slot/s9' }]);
    assert.equal(ifNoneExist('bk_1'), 'identifier=https%3A%2F%2Fcareloop.org%2Ffhir%2Fbooking%7Cbk_1');
  });
});
