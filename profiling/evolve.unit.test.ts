import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeProfile, encodeProfile, MAX_COUNT, RECENT_RING } from '../platform/profiles/codec.js';
import { PART_FIELDS, toParts } from '../platform/profiles/store.js';
import { emptyProfile, type ProfileFeatures } from '../platform/profiles/features.js';
import { summarize } from '../platform/profiles/summary.js';
import { evolve, type ProfileEvent } from './evolve.js';

const NY = 'America/New_York';
const at = (iso: string): number => Date.parse(iso);
const apply = (events: readonly ProfileEvent[], zone = NY): ProfileFeatures => events.reduce((p, e) => evolve(p, e, zone), emptyProfile());

/** A month of a patient who takes the evening dose except on Mondays and answers reminders at 19:xx local. */
function month(): ProfileEvent[] {
  const events: ProfileEvent[] = [];
  for (let d = 1; d <= 30; d++) {
    const day = `2026-03-${String(d).padStart(2, '0')}`;
    const due = at(`${day}T23:00Z`); // 19:00 in New York (EDT after the 8th)
    events.push({ kind: 'dose_due', id: `due-${d}`, at: due });
    events.push({ kind: 'prompt', id: `prompt-${d}`, at: due + 60_000, channel: 'SMS' });
    const monday = new Date(due - 4 * 3_600_000).getUTCDay() === 1;
    events.push({ kind: 'inbound', id: `in-${d}`, at: due + 11 * 60_000, channel: 'SMS', language: d % 5 === 0 ? 'en' : 'es' });
    events.push({ kind: 'adherence', id: `adh-${d}`, at: due + 12 * 60_000, taken: !monday });
  }
  return events;
}

describe('profile features', () => {
  test('given a month of events, then PDC, streaks, the missed weekday, response and language follow', () => {
    const s = summarize(apply(month()));
    assert.equal(s.preferredLanguage, 'es');
    assert.equal(s.preferredChannel, 'SMS');
    assert.equal(s.peakHour, 19, 'answers at 19:10 local');
    assert.equal(s.responseRate, 1);
    assert.equal(s.meanLatencyMinutes, 10);
    const mondays = 5; // March 2026: 2, 9, 16, 23, 30
    assert.equal(s.pdc30, (30 - mondays) / 30);
    assert.equal(s.missedByWeekday[1], mondays);
    assert.equal(s.missedByWeekday.reduce((a, b) => a + b, 0), mondays);
    assert.equal(s.longestStreak, 6);
    assert.equal(s.currentStreak, 0, 'the 30th is a Monday, missed');
  });

  test('given the same events in another order (topics interleaved differently), then the same encoding', () => {
    const events = month();
    const byTopic = [...events.filter((e) => e.kind === 'adherence'), ...events.filter((e) => e.kind !== 'adherence')];
    const byDay = (k: ProfileEvent['kind']): ProfileEvent[] => events.filter((e) => e.kind === k);
    // chat.outbound three days behind chat.intents (within the pairing rings): answers still pair.
    const inbound = byDay('inbound');
    const prompts = byDay('prompt');
    const lagging = inbound.flatMap((e, d) => (d >= 3 ? [e, prompts[d - 3] as ProfileEvent] : [e]))
      .concat(prompts.slice(-3), byDay('dose_due'), byDay('adherence').reverse()); // bitmaps and counts commute in any order
    const base = encodeProfile(apply(events));
    assert.deepEqual(encodeProfile(apply(byTopic)), base);
    assert.deepEqual(encodeProfile(apply(lagging)), base);
  });

  test('given a redelivered event, then nothing changes', () => {
    const events = month();
    const once = apply(events);
    const twice = apply([...events, events[events.length - 1] as ProfileEvent]);
    assert.deepEqual(encodeProfile(twice), encodeProfile(once));
  });

  test('given a profile, when encoded and decoded, then equal and small even when every count is saturated and every ring full', () => {
    const p = apply(month());
    for (const c of ['WEB', 'SMS'] as const) for (const k of ['active', 'prompts', 'answered', 'latencyMinutes'] as const) p.channels[c][k].fill(MAX_COUNT);
    p.weeklyMessages.fill(MAX_COUNT);
    p.recentInbound = Array.from({ length: RECENT_RING }, (_, i) => ({ at: 29_000_000 + i, channel: 'SMS' as const }));
    p.seen = Array.from({ length: 8 }, (_, i) => ({ at: 29_000_000 + i, hash: 0xffff_fff0 + i }));
    p.offsets = { 'chat.intents': 2 ** 40, 'chat.outbound': 2 ** 40, 'delivery.status': 2 ** 40, 'patient.signals': 2 ** 40, 'patient.actions': 2 ** 40 };
    assert.equal(p.recentPrompts.length, 16, 'the rings are full');
    p.demographics = { ageBand: '65-74', sex: 'female', zip3: '021' };
    p.scores = { segment: 3, risk: 200 / 255, riskLevel: 'high', scoredDay: 20_500 };
    const bytes = encodeProfile(p);
    assert.ok(bytes.length < 850, `${bytes.length} bytes`);
    assert.ok(Object.keys(toParts(bytes)).length <= PART_FIELDS.length, 'fits the store\'s hash fields');
    assert.deepEqual(decodeProfile(bytes), p);
    assert.throws(() => decodeProfile(bytes.subarray(0, 40)), /truncated/);
  });

  test('given a prompt nobody answers within four hours, then it counts as sent, not answered', () => {
    const t = at('2026-03-10T14:00Z');
    const s = summarize(apply([
      { kind: 'prompt', id: 'p', at: t, channel: 'WEB' },
      { kind: 'inbound', id: 'i', at: t + 5 * 3_600_000, channel: 'WEB', language: 'en' },
    ]));
    assert.equal(s.responseRate, 0);
    assert.equal(s.meanLatencyMinutes, null);
  });
});
