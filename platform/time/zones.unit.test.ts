import assert from 'node:assert/strict';
import { test } from 'node:test';
import { effectiveTimeZone, isTimeZone, localParts, nextLocalTime, utcOffsetMinutes, zonedTimeToUtc } from './zones.js';

const iso = (ms: number) => new Date(ms).toISOString();

test('zone names are checked and the first usable one wins, else UTC', () => {
  assert.equal(isTimeZone('America/New_York'), true);
  assert.equal(isTimeZone('Mars/Olympus_Mons'), false);
  assert.equal(isTimeZone(''), false);
  assert.equal(effectiveTimeZone(null, 'Nowhere/City', 'Europe/Madrid'), 'Europe/Madrid');
  assert.equal(effectiveTimeZone(undefined, null), 'UTC');
});

test('local parts and offsets follow daylight saving', () => {
  assert.deepEqual(localParts(Date.parse('2026-07-01T12:30:00Z'), 'Europe/Madrid'), { year: 2026, month: 7, day: 1, hour: 14, minute: 30, second: 0, weekday: 3 });
  assert.deepEqual(localParts(Date.parse('2026-01-01T03:00:00Z'), 'America/New_York'), { year: 2025, month: 12, day: 31, hour: 22, minute: 0, second: 0, weekday: 3 });
  assert.equal(utcOffsetMinutes('America/New_York', new Date('2026-01-15T12:00:00Z')), -300);
  assert.equal(utcOffsetMinutes('America/New_York', new Date('2026-07-15T12:00:00Z')), -240);
  assert.equal(utcOffsetMinutes('Asia/Kolkata', new Date('2026-07-15T12:00:00Z')), 330);
});

test('a local time becomes the right instant, also on the days the clocks change', () => {
  assert.equal(iso(zonedTimeToUtc(2026, 1, 15, 8, 0, 'America/New_York')), '2026-01-15T13:00:00.000Z');
  assert.equal(iso(zonedTimeToUtc(2026, 3, 8, 8, 0, 'America/New_York')), '2026-03-08T12:00:00.000Z', 'spring-forward day, after the change');
  assert.equal(iso(zonedTimeToUtc(2026, 3, 8, 1, 30, 'America/New_York')), '2026-03-08T06:30:00.000Z', 'spring-forward day, before the change');
  assert.equal(iso(zonedTimeToUtc(2026, 3, 8, 2, 30, 'America/New_York')), '2026-03-08T07:30:00.000Z', 'a skipped time reads as the same wall time after the change (03:30)');
  assert.equal(iso(zonedTimeToUtc(2026, 11, 1, 1, 30, 'America/New_York')), '2026-11-01T05:30:00.000Z', 'a repeated time takes its first occurrence');
  assert.equal(iso(zonedTimeToUtc(2026, 11, 1, 8, 0, 'America/New_York')), '2026-11-01T13:00:00.000Z', 'fall-back day, after the change');
  assert.equal(iso(zonedTimeToUtc(2026, 10, 25, 8, 0, 'Europe/Madrid')), '2026-10-25T07:00:00.000Z');
  assert.equal(iso(zonedTimeToUtc(2026, 6, 1, 8, 0, 'UTC')), '2026-06-01T08:00:00.000Z');
});

test('the next 08:00 is today when it is still ahead, else tomorrow, in the patient\'s zone', () => {
  // 06:00 in New York (EST): 08:00 is two hours ahead.
  assert.equal(iso(nextLocalTime(Date.parse('2026-01-15T11:00:00Z'), 8, 0, 'America/New_York')), '2026-01-15T13:00:00.000Z');
  // 09:00 in New York: tomorrow.
  assert.equal(iso(nextLocalTime(Date.parse('2026-01-15T14:00:00Z'), 8, 0, 'America/New_York')), '2026-01-16T13:00:00.000Z');
  // 23:00 UTC on the 15th is already the 16th in Tokyo: its 08:00 is the 16th's.
  assert.equal(iso(nextLocalTime(Date.parse('2026-01-15T23:00:00Z'), 8, 0, 'Asia/Tokyo')), '2026-01-16T23:00:00.000Z');
  // Exactly at 08:00: the next one is tomorrow's.
  assert.equal(iso(nextLocalTime(Date.parse('2026-01-15T13:00:00Z'), 8, 0, 'America/New_York')), '2026-01-16T13:00:00.000Z');
  // Across spring-forward: the wall clock still reads 08:00, one hour earlier in UTC.
  assert.equal(iso(nextLocalTime(Date.parse('2026-03-07T14:00:00Z'), 8, 0, 'America/New_York')), '2026-03-08T12:00:00.000Z');
});
