/*
 * PostgreSQL edge of the reminder rules: the patient's delivery settings, the answers that close
 * occurrences, the dose records adherence is computed from, and dispenses for PDC. Ids and times only.
 */
import { doseOutcome, localDay, type DoseAnswer, type DoseRecord, type OutcomeRules, type PdcFill } from '../reminders/adherence.js';
import type { PatientAction } from '../../schemas/generated/avro-types.js';
import { answerOfAction, pickOccurrence, type OccurrenceAnswer } from '../reminders/answers.js';
import { parseQuietHours, type QuietHours } from '../reminders/quiet-hours.js';
import type { DeliveryRules } from '../reminders/rules.js';
import { parseSendTimeSettings, type SendTimeSettings } from '../personalisation/reminder-times.js';
import type { PgPool } from '../storage/postgres.js';
import { effectiveTimeZone } from '../time/zones.js';

export interface RuleDefaults {
  doseWindowMs: number;
  spreadMs: number;
}

export class ReminderAnswers {
  constructor(private readonly pool: PgPool, private readonly deployment: string) {}

  /** The delivery rules of one patient: their settings over the organisation's; STOP from the patient's status. */
  /** The patient's rules, with their organisation and its send-time settings (off unless `organizations.send_time` enables them). */
  async deliveryRules(patientId: string, defaults: RuleDefaults): Promise<(DeliveryRules & { organizationId: string; sendTime: SendTimeSettings }) | null> {
    const { rows: [r] } = await this.pool.query<{ org: string; tz: string | null; org_tz: string; status: string; routine: { quietHours?: unknown } | null; org_cap: number; send_time: unknown; quiet_hours: unknown; quiet_hours_off: boolean | null; daily_cap: number | null }>(
      `SELECT o.id AS org, p.timezone AS tz, o.timezone AS org_tz, p.status, o.reminder_routine AS routine, o.reminder_daily_cap AS org_cap, o.send_time,
              s.quiet_hours, s.quiet_hours_off, s.daily_cap
         FROM patients p JOIN organizations o ON o.id = p.organization_id
         LEFT JOIN reminders.patient_settings s ON s.patient_id = p.id
        WHERE p.id = $1`, [patientId]);
    if (r === undefined) return null;
    const own = r.quiet_hours_off === true ? null : parseQuietHours(r.quiet_hours) ?? undefined;
    return {
      timeZone: effectiveTimeZone(r.tz, r.org_tz), orgQuietHours: parseQuietHours(r.routine?.quietHours), ...(own === undefined ? {} : { patientQuietHours: own }),
      doseWindowMs: defaults.doseWindowMs, dailyCap: r.daily_cap ?? r.org_cap, spreadMs: defaults.spreadMs, optedOut: r.status !== 'active',
      organizationId: r.org, sendTime: parseSendTimeSettings(r.send_time),
    };
  }

  /** Reminders already dispatched to the patient, due from `since` on (the daily cap counts them). */
  async sentSince(patientId: string, since: number): Promise<Array<{ id: string; patientId: string; dueAt: number }>> {
    const { rows } = await this.pool.query<{ id: string; due_at: Date }>(
      `SELECT id, due_at FROM reminders.occurrences WHERE deployment = $1 AND patient_id = $2 AND state = 'dispatched' AND due_at >= $3`,
      [this.deployment, patientId, new Date(since)]);
    return rows.map((r) => ({ id: r.id, patientId, dueAt: r.due_at.getTime() }));
  }

  /** The patient's own quiet hours (null: none at all); from the chat ("not at night") or the API. */
  async setQuietHours(patientId: string, organizationId: string, quiet: QuietHours | null, source: 'chat' | 'api'): Promise<void> {
    await this.pool.query(
      `INSERT INTO reminders.patient_settings (patient_id, organization_id, quiet_hours, quiet_hours_off, source, updated_at) VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (patient_id) DO UPDATE SET quiet_hours = EXCLUDED.quiet_hours, quiet_hours_off = EXCLUDED.quiet_hours_off, source = EXCLUDED.source, updated_at = now()`,
      [patientId, organizationId, quiet === null ? null : JSON.stringify(quiet), quiet === null, source]);
  }

  async setDailyCap(patientId: string, organizationId: string, cap: number | null): Promise<void> {
    await this.pool.query(
      `INSERT INTO reminders.patient_settings (patient_id, organization_id, daily_cap, source) VALUES ($1, $2, $3, 'api')
       ON CONFLICT (patient_id) DO UPDATE SET daily_cap = EXCLUDED.daily_cap, updated_at = now()`, [patientId, organizationId, cap]);
  }

  /**
   * Records an answer against the latest sent, open occurrence (of the medication, when named) within
   * `windowMs`; a newer answer replaces an older one (a snooze never replaces taken or skipped), a
   * replayed action changes nothing. Returns the
   * occurrence id, or null when there was none to answer.
   */
  async recordAnswer(a: { patientId: string; organizationId: string; medicationId: string | null; actionId: string; answer: OccurrenceAnswer }, windowMs: number): Promise<string | null> {
    const { rows } = await this.pool.query<{ id: string; medication_id: string | null; due_at: Date; dispatched_at: Date }>(
      `SELECT id, medication_id, due_at, dispatched_at FROM reminders.occurrences
        WHERE deployment = $1 AND patient_id = $2 AND kind = 'dose_due' AND state = 'dispatched' AND due_at >= $3 AND dispatched_at <= $4`,
      [this.deployment, a.patientId, new Date(a.answer.at - windowMs), new Date(a.answer.at)]);
    const open = rows.map((r) => ({ id: r.id, medicationIds: (r.medication_id ?? '').split(','), dueAt: r.due_at.getTime(), dispatchedAt: r.dispatched_at.getTime() }));
    const target = pickOccurrence(open, a.medicationId, a.answer.at, windowMs);
    if (target === null) return null;
    await this.pool.query(
      `INSERT INTO reminders.answers (deployment, occurrence_id, organization_id, patient_id, kind, answered_at, snoozed_until, action_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (deployment, occurrence_id) DO UPDATE SET kind = EXCLUDED.kind, answered_at = EXCLUDED.answered_at, snoozed_until = EXCLUDED.snoozed_until, action_id = EXCLUDED.action_id
       WHERE reminders.answers.answered_at < EXCLUDED.answered_at AND reminders.answers.action_id <> EXCLUDED.action_id
         AND NOT (EXCLUDED.kind = 'snoozed' AND reminders.answers.kind <> 'snoozed')`,
      [this.deployment, target.id, a.organizationId, a.patientId, a.answer.kind, new Date(a.answer.at), a.answer.until === undefined ? null : new Date(a.answer.until), a.actionId]);
    return target.id;
  }

  /**
   * One record per medication of every dose occurrence due in [from, now] that was sent or should
   * have been (a grouped message stands for each of its medications); a snooze is no answer yet.
   */
  async doseRecords(patientId: string, from: number, now: number, rules?: OutcomeRules): Promise<Array<DoseRecord & { occurrenceId: string }>> {
    const { rows } = await this.pool.query<{ id: string; medication_id: string | null; due_at: Date; kind: string | null; answered_at: Date | null }>(
      `SELECT o.id, o.medication_id, o.due_at, a.kind, a.answered_at FROM reminders.occurrences o
         LEFT JOIN reminders.answers a ON a.deployment = o.deployment AND a.occurrence_id = o.id
        WHERE o.deployment = $1 AND o.patient_id = $2 AND o.kind = 'dose_due' AND o.state <> 'cancelled' AND o.due_at >= $3 AND o.due_at <= $4
        ORDER BY o.due_at`, [this.deployment, patientId, new Date(from), new Date(now)]);
    return rows.flatMap((r) => {
      const answer: DoseAnswer | null = r.kind === 'taken' || r.kind === 'skipped' ? { kind: r.kind, at: r.answered_at?.getTime() ?? now } : null;
      const outcome = doseOutcome(r.due_at.getTime(), answer, now, rules);
      return (r.medication_id ?? '').split(',').filter((m) => m !== '').map((medicationId) => ({ occurrenceId: r.id, medicationId, dueAt: r.due_at.getTime(), outcome }));
    });
  }

  /** Completed dispenses of one prescription as PDC fills, on the patient's local days. */
  async fills(organizationId: string, patientId: string, requestId: string, timeZone: string): Promise<PdcFill[]> {
    const { rows } = await this.pool.query<{ when_handed_over: Date; days_supply: string }>(
      `SELECT when_handed_over, days_supply FROM care.medication_dispenses
        WHERE organization_id = $1 AND patient_id = $2 AND request_id = $3 AND status = 'completed' AND when_handed_over IS NOT NULL AND days_supply > 0`,
      [organizationId, patientId, requestId]);
    return rows.map((r) => ({ day: localDay(r.when_handed_over.getTime(), timeZone), daysSupply: Number(r.days_supply) }));
  }
}

/** How long after its due time a chat answer still closes an occurrence (a late answer still counts). */
export const ANSWER_WINDOW = 24 * 3_600_000;

/** Taken, skipped or snoozed from the chat (one of the dialogue's actions) → the answer of the latest open occurrence it is about. */
export async function answerReminder(reminders: ReminderAnswers, a: PatientAction): Promise<string | null> {
  const answer = answerOfAction(a.type, a.attributes, a.occurredAt);
  if (answer === null) return null;
  const medicationId = a.attributes['medication_id'] ?? null;
  return reminders.recordAnswer({ patientId: a.patientId, organizationId: a.organizationId, medicationId, actionId: a.actionId, answer }, ANSWER_WINDOW);
}
