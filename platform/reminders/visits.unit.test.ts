import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appointmentOf, subjectOf } from './ids.js';
import { planAppointments, planPatient, planPickups, replansOn, type PatientPlan } from './plan.js';
import { applyRules } from './rules.js';
import { DEFAULT_ROUTINE } from './routine.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 16);
const H = 3_600_000;
const base = { organizationId: 'org1', patientId: 'p1' };
const plan = (extra: Partial<PatientPlan>): PatientPlan =>
  ({ ...base, timeZone: 'Europe/Madrid', routine: DEFAULT_ROUTINE, items: [], dispenses: [], ...extra });
const opts = { refillLeadDays: 3, refillAt: '10:00' };

describe('appointment reminders', () => {
  test('given a booked appointment, when planned, then one reminder 24 h and one 2 h before, naming it by id and start', () => {
    const got = planAppointments({ ...base, appointments: [{ id: 'bk_1', startsAt: at('2026-03-10T09:30Z') }] }, at('2026-03-01T00:00Z'), at('2026-03-20T00:00Z'));
    assert.deepEqual(got.map((r) => [r.kind, iso(r.dueAt)]), [['appointment_due', '2026-03-09T09:30'], ['appointment_due', '2026-03-10T07:30']]);
    assert.deepEqual(got.map((r) => appointmentOf(r.id)), [
      { appointmentId: 'bk_1', leadMinutes: 1440, startsAt: at('2026-03-10T09:30Z') },
      { appointmentId: 'bk_1', leadMinutes: 120, startsAt: at('2026-03-10T09:30Z') },
    ]);
    assert.equal(new Set(got.map((r) => r.id)).size, 2, 'each lead is its own occurrence');
  });

  test('given one booked 5 h ahead, then the 24 h reminder, already past, is not sent late; the 2 h one comes', () => {
    const now = at('2026-03-10T04:30Z');
    const got = planAppointments({ ...base, appointments: [{ id: 'bk_1', startsAt: at('2026-03-10T09:30Z') }] }, now, now + 2 * 24 * H);
    assert.deepEqual(got.map((r) => appointmentOf(r.id)?.leadMinutes), [120]);
  });

  test('given the same visit imported from the hospital and booked in chat, then it is reminded once', () => {
    const starts = at('2026-03-10T09:30Z');
    const got = planAppointments({ ...base, appointments: [{ id: 'bk_1', startsAt: starts }, { id: 'ehr-77', startsAt: starts }] }, at('2026-03-01T00:00Z'), at('2026-03-20T00:00Z'));
    assert.equal(got.length, 2);
    assert.ok(got.every((r) => r.medicationId === 'bk_1'), 'the booking (first by id) is the one named');
  });

  test('given a rescheduled appointment, when re-planned, then the ids change with the time, so the old reminders are cancelled', () => {
    const w = [at('2026-03-01T00:00Z'), at('2026-03-20T00:00Z')] as const;
    const before = planAppointments({ ...base, appointments: [{ id: 'bk_1', startsAt: at('2026-03-10T09:30Z') }] }, ...w).map((r) => r.id);
    const after = planAppointments({ ...base, appointments: [{ id: 'bk_2', startsAt: at('2026-03-12T11:00Z') }] }, ...w).map((r) => r.id);
    assert.equal(before.filter((id) => after.includes(id)).length, 0);
    assert.ok(replansOn('appointment_booked') && replansOn('appointment_cancelled') && replansOn('appointment_changed') && replansOn('appointment_no_show'));
    assert.equal(replansOn('appointment_slots_offered'), false);
  });

  test('given quiet hours 22:00–08:00, then a 24 h reminder at 07:00 local waits to 08:00, but a 2 h one that would then come after the start keeps its time', () => {
    const quietHours = { start: '22:00', end: '08:00' };
    const w = [at('2026-03-01T00:00Z'), at('2026-03-20T00:00Z')] as const;
    // Starts 07:00 in Madrid (06:00Z): 24 h before is 07:00 local → 08:00 (07:00Z); 2 h before is 05:00 local, and 08:00 would be past the start.
    const appointments = [{ id: 'bk_1', startsAt: at('2026-03-10T06:00Z') }];
    const expected = [[1440, '2026-03-09T07:00'], [120, '2026-03-10T04:00']];
    const got = planPatient(plan({ quietHours, appointments }), ...w, opts);
    assert.deepEqual(got.map((r) => [appointmentOf(r.id)?.leadMinutes, iso(r.dueAt)]), expected);
    const ruled = applyRules(planPatient(plan({ appointments }), ...w, opts), {
      timeZone: 'Europe/Madrid', optedOut: false, orgQuietHours: quietHours, dailyCap: 0, doseWindowMs: 4 * H, spreadMs: 0,
    });
    assert.deepEqual(ruled.send.map((r) => [appointmentOf(r.id)?.leadMinutes, iso(r.dueAt)]), expected, 'the delivery rules keep the same exception');
  });

  test('the signal names the appointment, its start and the lead, and nothing else', () => {
    const [r] = planAppointments({ ...base, appointments: [{ id: 'bk_1', startsAt: at('2026-03-10T09:30Z') }] }, at('2026-03-01T00:00Z'), at('2026-03-20T00:00Z'));
    assert.ok(r);
    assert.deepEqual(subjectOf(r), { appointment_id: 'bk_1', starts_at: '2026-03-10T09:30:00.000Z', lead_minutes: '1440' });
    assert.deepEqual(subjectOf({ id: 'pickup_due:d1:2026-03-10T09:30:00.000Z', kind: 'pickup_due', medicationId: 'rx1' }), { medication_id: 'rx1' });
  });
});

describe('pickup reminders', () => {
  test('given a dispense ready at the pharmacy, then a reminder when it is ready and another two days later, naming the prescription', () => {
    const got = planPickups({ ...base, pickups: [{ id: 'd1', requestId: 'rx1', preparedAt: at('2026-03-10T10:00Z') }] }, at('2026-03-10T00:00Z'), at('2026-03-20T00:00Z'));
    assert.deepEqual(got.map((r) => [r.kind, r.medicationId, iso(r.dueAt)]), [['pickup_due', 'rx1', '2026-03-10T10:00'], ['pickup_due', 'rx1', '2026-03-12T10:00']]);
  });

  test('given a dispense ready since before the window, then only the latest reminder already due comes, at once', () => {
    const now = at('2026-03-11T09:00Z');
    const got = planPickups({ ...base, pickups: [{ id: 'd1', requestId: null, preparedAt: at('2026-03-10T10:00Z') }] }, now, now + 2 * 24 * H);
    assert.deepEqual(got.map((r) => [r.id, iso(r.dueAt)]), [['pickup_due:d1:2026-03-10T10:00:00.000Z', '2026-03-11T09:00'], ['pickup_due:d1:2026-03-12T10:00:00.000Z', '2026-03-12T10:00']]);
    assert.equal(got[0]?.medicationId, '', 'a dispense naming no prescription names none');
  });

  test('given the dispense handed over (no longer a pickup), then the patient plan has no pickup reminder', () => {
    const w = [at('2026-03-10T00:00Z'), at('2026-03-20T00:00Z')] as const;
    const waiting = planPatient(plan({ pickups: [{ id: 'd1', requestId: 'rx1', preparedAt: at('2026-03-10T10:00Z') }] }), ...w, opts);
    const collected = planPatient(plan({ pickups: [] }), ...w, opts);
    assert.deepEqual(waiting.map((r) => r.kind), ['pickup_due', 'pickup_due']);
    assert.deepEqual(collected, []);
  });
});
