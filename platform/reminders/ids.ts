/*
 * The stable names of reminders: an occurrence's id is its plan item and its time, so re-planning
 * produces the same id and a redelivered signal carries the same signalId (the dialogue drops it).
 */

export type ReminderKind = 'dose_due' | 'refill_due' | 'appointment_due' | 'pickup_due';

/** 'dose_due:<care-plan item>:<UTC ISO instant>' — pseudonymous ids and a time only, never a name. */
export function occurrenceId(kind: ReminderKind, planItemId: string, at: number): string {
  return `${kind}:${planItemId}:${new Date(at).toISOString()}`;
}

/** The shard of a patient: a stable 32-bit FNV-1a hash of the pseudonymous id, mod the shard count. */
export function shardOf(patientId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < patientId.length; i++) {
    h ^= patientId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % Math.max(1, shards);
}

/** The planned instant an occurrence id names (before any quiet-hours deferral); null when it names none. */
export function plannedAtOf(id: string): number | null {
  const m = /:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)$/.exec(id);
  return m === null ? null : Date.parse(m[1] as string);
}

/** The plan item of one appointment reminder: the appointment and how long before it ('bk_1~1440'), so each lead is its own occurrence. */
export function appointmentPlanItem(appointmentId: string, leadMinutes: number): string {
  return `${appointmentId}~${Math.round(leadMinutes)}`;
}

/** What an appointment_due occurrence id names: the appointment, the lead and so its start; null for any other id. */
export function appointmentOf(id: string): { appointmentId: string; leadMinutes: number; startsAt: number } | null {
  const m = /^appointment_due:(.+)~(\d+):[^:]*:[^:]*:[^:]*$/.exec(id);
  const at = plannedAtOf(id);
  if (m === null || at === null) return null;
  const leadMinutes = Number(m[2]);
  return { appointmentId: m[1] as string, leadMinutes, startsAt: at + leadMinutes * 60_000 };
}

/** What a reminder's signal names: the care-plan id, or for an appointment its id, start and lead (ids and times only). */
export function subjectOf(r: { id: string; kind: string; medicationId: string }): Record<string, string> {
  if (r.kind !== 'appointment_due') return { medication_id: r.medicationId };
  const visit = appointmentOf(r.id);
  if (visit === null) return { appointment_id: r.medicationId };
  return { appointment_id: visit.appointmentId, starts_at: new Date(visit.startsAt).toISOString(), lead_minutes: String(visit.leadMinutes) };
}
