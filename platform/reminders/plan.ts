/*
 * One care-plan item → its reminder occurrences with stable ids. The FHIR timing wins when the item
 * came with one; a patient enrolled through the API has only its 'HH:MM' list.
 */
import { occurrenceId, type ReminderKind } from './ids.js';
import { doseOccurrences, scheduleOccurrences, type DosageTiming, type OccurrenceWindow } from './occurrences.js';

export interface PlanItem {
  /** The care-plan id (patient_medications.id = the prescription's id when imported). */
  id: string;
  organizationId: string;
  patientId: string;
  scheduleTimes: readonly string[];
  /** care.medication_requests.timing, when the item was imported; empty otherwise. */
  timing: readonly DosageTiming[];
  active: boolean;
}

export interface PlannedReminder {
  id: string;
  kind: ReminderKind;
  organizationId: string;
  patientId: string;
  planItemId: string;
  dueAt: number;
}

/** The dose reminders of one item in the window, distinct by id, in time order. */
export function planDoses(item: PlanItem, w: OccurrenceWindow): PlannedReminder[] {
  if (!item.active) return [];
  const fromTiming = item.timing.length > 0;
  const occurrences = fromTiming ? item.timing.flatMap((t) => doseOccurrences(t, w)) : scheduleOccurrences(item.scheduleTimes, w);
  const byId = new Map<string, PlannedReminder>();
  for (const o of occurrences) {
    const id = occurrenceId('dose_due', item.id, o.at);
    byId.set(id, { id, kind: 'dose_due', organizationId: item.organizationId, patientId: item.patientId, planItemId: item.id, dueAt: o.at });
  }
  return [...byId.values()].sort((a, b) => a.dueAt - b.dueAt || a.id.localeCompare(b.id));
}
