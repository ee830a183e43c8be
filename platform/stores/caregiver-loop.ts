/*
 * The caregiver loop at the edge (the scheduler's sweep, the actions processor after a skip): after a dose closes, read the patient's recent doses, decide
 * (platform/reminders/caregiver.ts), record each contact with its audit event, and publish it for
 * delivery on the caregiver's channel as a patient action (ids and a template only, no text).
 */
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
