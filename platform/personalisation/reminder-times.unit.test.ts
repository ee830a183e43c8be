import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PlannedReminder } from '../reminders/plan.js';
import { localParts, zonedTimeToUtc } from '../time/zones.js';
import { chooseReminderTimes, parseSendTimeSettings, SEND_TIME_OFF, type ReminderTimesInput } from './reminder-times.js';
import type { HourCounts } from './send-plan.js';

const NY = 'America/New_York';
const H = 3_600_000;
const on = parseSendTimeSettings({ enabled: true, doseMinutesBefore: 60, doseMinutesAfter: 240 });

/** Hour counts: `n` prompts at each hour, answered at the rate `rate(h)`. */
function counts(n: number, rate: (h: number) => number): HourCounts {
  const prompts = Array.from({ length: 24 }, () => n);
  return { prompts, answered: prompts.map((p, h) => Math.round(p * rate(h))) };
}
const evening = counts(20, (h) => (h >= 18 && h <= 21 ? 0.9 : 0.1));
const morning = counts(20, (h) => (h >= 8 && h <= 10 ? 0.9 : 0.1));

function dose(day: number, hour: number, med = 'rx1'): PlannedReminder {
  const dueAt = zonedTimeToUtc(2027, 3, day, hour, 0, NY);
  return { id: `dose_due:${med}:${new Date(dueAt).toISOString()}`, kind: 'dose_due', organizationId: 'org', patientId: 'p', planItemId: med, medicationId: med, dueAt };
}
function refill(day: number, hour: number): PlannedReminder {
  const dueAt = zonedTimeToUtc(2027, 3, day, hour, 0, NY);
  return { id: `refill_due:rx1:${new Date(dueAt).toISOString()}`, kind: 'refill_due', organizationId: 'org', patientId: 'p', planItemId: 'rx1', medicationId: 'rx1', dueAt };
}
const input = (over: Partial<ReminderTimesInput> = {}): ReminderTimesInput => ({
  settings: on, timeZone: NY, quiet: { start: '21:00', end: '08:00' }, patient: [evening], segment: [], doseWindowMs: 4 * H, now: 0, ...over,
});
const hourOf = (at: number): number => localParts(at, NY).hour;

describe('send-time optimisation of planned reminders', () => {
  test('off (the default): every reminder keeps its time', () => {
    const planned = [dose(1, 17), refill(1, 10)];
    assert.deepEqual(chooseReminderTimes(planned, input({ settings: SEND_TIME_OFF })).planned, planned);
    assert.deepEqual(parseSendTimeSettings(null), SEND_TIME_OFF);
    assert.equal(parseSendTimeSettings({ enabled: 'yes' }).enabled, false);
    assert.equal(parseSendTimeSettings({ enabled: true, refillFirstHour: 25 }).refillFirstHour, 9, 'a bad value takes its default');
  });

  test('an evening responder\'s 17:00 dose moves into the evening, never past the dose window or into quiet hours', () => {
    const planned = Array.from({ length: 28 }, (_, d) => dose(d + 1, 17));
    const { planned: out, moved } = chooseReminderTimes(planned, input());
    const hours = out.map((r) => hourOf(r.dueAt));
    for (const [i, r] of out.entries()) {
      const p = planned[i] as PlannedReminder;
      assert.ok(r.dueAt >= p.dueAt - H && r.dueAt <= p.dueAt + 4 * H, `inside the window: ${hours[i]}`);
      assert.ok(hourOf(r.dueAt) < 21, 'never in quiet hours (21:00-08:00)');
    }
    const late = hours.filter((h) => h >= 18).length;
    assert.ok(late >= 24, `most go out at 18-20: ${hours.join(',')}`);
    assert.equal(moved.length, out.filter((r, i) => r.dueAt !== planned[i]?.dueAt).length);
  });

  test('a morning responder keeps the morning; the same profile and id always give the same time (replay)', () => {
    const planned = Array.from({ length: 14 }, (_, d) => dose(d + 1, 9));
    const a = chooseReminderTimes(planned, input({ patient: [morning] })).planned;
    const b = chooseReminderTimes(planned, input({ patient: [morning] })).planned;
    assert.deepEqual(a, b);
    assert.ok(a.every((r) => hourOf(r.dueAt) >= 8 && hourOf(r.dueAt) <= 10), a.map((r) => hourOf(r.dueAt)).join(','));
  });

  test('a new patient leans on the segment\'s pooled hours; a refill nudge moves within its hours of the day', () => {
    const planned = Array.from({ length: 20 }, (_, d) => refill(d + 1, 10));
    const out = chooseReminderTimes(planned, input({ patient: [], segment: [counts(200, (h) => (h === 19 ? 0.8 : 0.1))] })).planned;
    const hours = out.map((r) => hourOf(r.dueAt));
    assert.ok(hours.every((h) => h >= 9 && h <= 19), hours.join(','));
    assert.ok(hours.filter((h) => h >= 18).length >= 15, `pooled evening evidence wins: ${hours.join(',')}`);
    assert.ok(out.every((r, i) => localParts(r.dueAt, NY).day === localParts((planned[i] as PlannedReminder).dueAt, NY).day), 'same local day');
  });

  test('never before now; doses of one time move together; appointments keep their time', () => {
    const a = dose(2, 17, 'rx1');
    const b = dose(2, 17, 'rx2');
    const appt: PlannedReminder = { ...a, id: 'appointment_due:x~120', kind: 'appointment_due' };
    const { planned: out } = chooseReminderTimes([a, b, appt], input({ now: a.dueAt - 30 * 60_000 }));
    assert.equal(out[0]?.dueAt, out[1]?.dueAt, 'one message still');
    assert.ok((out[0]?.dueAt ?? 0) >= a.dueAt - 30 * 60_000);
    assert.equal(out[2]?.dueAt, appt.dueAt);
    // Patient's own quiet hours from 19:00: the evening is closed, the dose stays at 17 or 18.
    const q = chooseReminderTimes([a], input({ quiet: { start: '19:00', end: '08:00' } })).planned;
    assert.ok([16, 17, 18].includes(hourOf(q[0]?.dueAt ?? 0)));
  });
});
