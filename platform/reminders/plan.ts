/*
 * One care-plan item → its reminder occurrences with stable ids. The FHIR timing wins when the item
 * came with one; a patient enrolled through the API has only its 'HH:MM' list.
 */
import { occurrenceId, type ReminderKind } from './ids.js';
import { doseOccurrences, scheduleOccurrences, type DosageTiming, type OccurrenceWindow } from './occurrences.js';
import { deferForQuietHours, type QuietHours } from './quiet-hours.js';
import { refillDueAt, supplyDays } from './refill.js';
import type { Routine } from './routine.js';

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
  /** The care-plan id the signal names (the dialogue reads the name from the care plan). */
  medicationId: string;
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
    byId.set(id, { id, kind: 'dose_due', organizationId: item.organizationId, patientId: item.patientId, planItemId: item.id, medicationId: item.id, dueAt: o.at });
  }
  return [...byId.values()].sort((a, b) => a.dueAt - b.dueAt || a.id.localeCompare(b.id));
}

/** The latest completed dispense of one prescription (an earlier one is superseded by it). */
export interface PlanDispense {
  id: string;
  /** The prescription (= care-plan item) it fills; null when the pharmacy did not say. */
  requestId: string | null;
  handedOverAt: number;
  daysSupply: number | null;
}

export interface PatientPlan {
  organizationId: string;
  patientId: string;
  timeZone: string;
  routine: Routine;
  /** Each item with where its counting starts (prescribed or enrolled). */
  items: ReadonlyArray<PlanItem & { anchor: number }>;
  dispenses: readonly PlanDispense[];
  /** The organisation's quiet hours; null: none. */
  quietHours?: QuietHours | null;
}

export interface PlanOptions {
  refillLeadDays: number;
  /** Local 'HH:MM' of refill reminders. */
  refillAt: string;
}

/**
 * Every reminder of one patient due in [from, to): doses, and refills whose supply has not yet run
 * out (a refill due before `from` still comes, late, rather than never). One inside quiet hours is
 * due at the window's end; its id keeps the planned time, so it stays the same occurrence.
 */
export function planPatient(p: PatientPlan, from: number, to: number, opts: PlanOptions): PlannedReminder[] {
  const doses = p.items.flatMap((item) => planDoses(item, { from, to, timeZone: p.timeZone, routine: p.routine, anchor: item.anchor }));
  const refills: PlannedReminder[] = [];
  for (const d of p.dispenses) {
    const due = refillDueAt(d, { leadDays: opts.refillLeadDays, at: opts.refillAt, timeZone: p.timeZone });
    const days = supplyDays(d) ?? 0;
    if (due === null || due >= to || d.handedOverAt + days * 86_400_000 <= from) continue;
    refills.push({
      id: occurrenceId('refill_due', d.id, due), kind: 'refill_due', organizationId: p.organizationId, patientId: p.patientId,
      planItemId: d.id, medicationId: d.requestId ?? '', dueAt: due,
    });
  }
  const quiet = p.quietHours ?? null;
  return [...doses, ...refills]
    .map((r) => ({ ...r, dueAt: deferForQuietHours(r.dueAt, quiet, p.timeZone) }))
    .sort((a, b) => a.dueAt - b.dueAt || a.id.localeCompare(b.id));
}

/** Signals on patient.signals after which a patient's future reminders are planned again (FHIR import, admin API). */
const REPLAN_ON = new Set(['medication_started', 'medication_recorded', 'medication_changed', 'medication_stopped', 'dispense_recorded', 'dispense_changed', 'patient_updated']);

/** True when a signal of this type changes what or when a patient is reminded. */
export function replansOn(signalType: string): boolean {
  return REPLAN_ON.has(signalType);
}
