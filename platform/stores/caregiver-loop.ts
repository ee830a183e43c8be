/*
 * The caregiver loop at the edge (the scheduler's sweep, the actions processor after a skip): after a dose closes, read the patient's recent doses, decide
 * (platform/reminders/caregiver.ts), record each contact with its audit event, and publish it for
 * delivery on the caregiver's channel as a patient action (ids and a template only, no text).
 */
import { DEFAULT_OUTCOME_RULES } from '../reminders/adherence.js';
import type { PgPool } from '../storage/postgres.js';
import type { PatientAction } from '../../schemas/generated/avro-types.js';
import { caregiverContacts, contactKey, missedRun } from '../reminders/caregiver.js';
import type { Publisher } from '../kafka/publisher.js';
import type { CaregiverStore } from './caregivers.js';
import type { ReminderAnswers } from './reminder-answers.js';

export interface CaregiverLoopDeps {
  answers: ReminderAnswers;
  caregivers: CaregiverStore;
  publisher: Pick<Publisher, 'publish'>;
  newTraceId: () => string;
}

const LOOKBACK = 30 * 86_400_000;

/** Checks one patient at `now`; returns the caregivers contacted. */
export async function checkCaregivers(deps: CaregiverLoopDeps, organizationId: string, patientId: string, threshold: number, now: number): Promise<string[]> {
  const run = missedRun(await deps.answers.doseRecords(patientId, now - LOOKBACK, now));
  if (run.missed < threshold || run.lastMissedId === null) return [];
  const caregivers = await deps.caregivers.of(organizationId, patientId);
  const decided = caregiverContacts(run, caregivers, threshold, await deps.caregivers.contactedKeys(patientId));
  const contacted: string[] = [];
  for (const c of decided) {
    const key = contactKey(c.caregiverId, run.lastMissedId);
    if (!(await deps.caregivers.recordContact(organizationId, patientId, c, key, now))) continue;
    const channel = caregivers.find((g) => g.id === c.caregiverId)?.channel ?? 'sms';
    const action: PatientAction = {
      actionId: `caregiver:${key}`, traceId: deps.newTraceId(), organizationId, patientId, type: 'notify_caregiver', occurredAt: now,
      causedBy: run.lastMissedId, workflowId: null, workflowVersion: null, payload: null,
      attributes: { caregiver_id: c.caregiverId, channel, template_id: c.templateId, missed: String(c.missed), medication_ids: c.medicationIds.join(',') },
    };
    await deps.publisher.publish('patient.actions', [{ key: patientId, value: action }]);
    contacted.push(c.caregiverId);
  }
  return contacted;
}

/**
 * The periodic sweep: doses close as unknown by time alone (no answer 24 h after due), with no
 * event to react to, so the scheduler looks for patients with a contactable caregiver whose dose
 * closed within the last `windowMs` and checks them. Replays and overlapping schedulers are safe:
 * a run is reported once (contact key). Returns the caregivers contacted.
 */
export async function sweepUnknownDoses(deps: CaregiverLoopDeps, pool: PgPool, deployment: string, now: number, windowMs: number, closeAfterMs = DEFAULT_OUTCOME_RULES.closeAfterMs): Promise<string[]> {
  const { rows } = await pool.query<{ organization_id: string; patient_id: string }>(
    `SELECT DISTINCT c.organization_id, c.patient_id FROM reminders.caregivers c
       JOIN reminders.occurrences o ON o.deployment = $1 AND o.patient_id = c.patient_id AND o.kind = 'dose_due' AND o.state <> 'cancelled'
      WHERE c.active AND c.consented AND NOT c.opted_out AND o.due_at > $2 AND o.due_at <= $3
        AND NOT EXISTS (SELECT 1 FROM reminders.answers a WHERE a.deployment = o.deployment AND a.occurrence_id = o.id AND a.kind IN ('taken', 'skipped'))`,
    [deployment, new Date(now - closeAfterMs - windowMs), new Date(now - closeAfterMs)]);
  const contacted: string[] = [];
  for (const r of rows) contacted.push(...(await checkCaregivers(deps, r.organization_id, r.patient_id, await deps.caregivers.threshold(r.organization_id), now)));
  return contacted;
}
