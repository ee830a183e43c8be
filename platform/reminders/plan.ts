/*
 * One care-plan item → its reminder occurrences with stable ids. The FHIR timing wins when the item
 * came with one; a patient enrolled through the API has only its 'HH:MM' list.
 */
import { appointmentOf, appointmentPlanItem, occurrenceId, type ReminderKind } from './ids.js';
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
  /** Booked appointments (FHIR-imported and booked in chat), one per start time. */
  appointments?: readonly PlanAppointment[];
  /** Dispenses the pharmacy has ready and the patient has not collected. */
  pickups?: readonly PlanPickup[];
}

export interface PlanAppointment {
  /** care.appointments.id or booking.bookings.id: what the signal names. */
  id: string;
  startsAt: number;
}

export interface PlanPickup {
  /** The dispense waiting at the pharmacy. */
  id: string;
  /** The prescription it fills (the signal's medication_id); null when the pharmacy did not say. */
  requestId: string | null;
  preparedAt: number;
}

/** Reminders before an appointment when the organisation sets none: 24 h and 2 h. */
export const DEFAULT_APPOINTMENT_LEADS_MS: readonly number[] = [24 * 3_600_000, 2 * 3_600_000];
/** A ready dispense is announced when it is ready, and again after these delays while it waits. */
export const DEFAULT_PICKUP_AFTER_MS: readonly number[] = [0, 2 * 86_400_000];

export interface PlanOptions {
  refillLeadDays: number;
  /** Local 'HH:MM' of refill reminders. */
  refillAt: string;
  /** How long before an appointment each reminder comes; default DEFAULT_APPOINTMENT_LEADS_MS. */
  appointmentLeadsMs?: readonly number[];
  /** Delays after a dispense is ready at which pickup reminders come; default DEFAULT_PICKUP_AFTER_MS. */
  pickupAfterMs?: readonly number[];
}

/** Reminders before each appointment that fall in [from, to): one that would already be past is not sent late. */
export function planAppointments(p: Pick<PatientPlan, 'organizationId' | 'patientId' | 'appointments'>, from: number, to: number, leadsMs: readonly number[] = DEFAULT_APPOINTMENT_LEADS_MS): PlannedReminder[] {
  const out = new Map<string, PlannedReminder>();
  const starts = new Set<number>();
  for (const a of [...(p.appointments ?? [])].sort((x, y) => x.startsAt - y.startsAt || x.id.localeCompare(y.id))) {
    // The same visit imported from the hospital and booked in chat is reminded once.
    if (starts.has(a.startsAt)) continue;
    starts.add(a.startsAt);
    for (const lead of new Set(leadsMs)) {
      const due = a.startsAt - lead;
      if (lead <= 0 || due < from || due >= to) continue;
      const planItemId = appointmentPlanItem(a.id, lead / 60_000);
      const id = occurrenceId('appointment_due', planItemId, due);
      out.set(id, { id, kind: 'appointment_due', organizationId: p.organizationId, patientId: p.patientId, planItemId, medicationId: a.id, dueAt: due });
    }
  }
  return [...out.values()];
}

/** Pickup reminders of dispenses ready at the pharmacy, due in [from, to); one ready before `from` is announced at once (late rather than never). */
export function planPickups(p: Pick<PatientPlan, 'organizationId' | 'patientId' | 'pickups'>, from: number, to: number, afterMs: readonly number[] = DEFAULT_PICKUP_AFTER_MS): PlannedReminder[] {
  const out: PlannedReminder[] = [];
  for (const d of p.pickups ?? []) {
    const dues = [...new Set(afterMs)].map((a) => d.preparedAt + Math.max(0, a)).sort((a, b) => a - b);
    // Only the latest reminder already due comes late; earlier ones it supersedes.
    const lastPast = dues.filter((at) => at < from).at(-1);
    for (const planned of dues) {
      if (planned >= to || (planned < from && planned !== lastPast)) continue;
      out.push({
        id: occurrenceId('pickup_due', d.id, planned), kind: 'pickup_due', organizationId: p.organizationId, patientId: p.patientId,
        planItemId: d.id, medicationId: d.requestId ?? '', dueAt: Math.max(planned, from),
      });
    }
  }
  return out;
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
  const visits = planAppointments(p, from, to, opts.appointmentLeadsMs);
  const pickups = planPickups(p, from, to, opts.pickupAfterMs);
  return [...doses, ...refills, ...pickups, ...visits]
    .map((r) => ({ ...r, dueAt: quietDueAt(r, quiet, p.timeZone) }))
    .sort((a, b) => a.dueAt - b.dueAt || a.id.localeCompare(b.id));
}

/** Quiet hours defer a reminder, except one before an appointment that the deferral would push past its start. */
export function quietDueAt(r: Pick<PlannedReminder, 'kind' | 'dueAt' | 'id'>, quiet: QuietHours | null, timeZone: string): number {
  const deferred = deferForQuietHours(r.dueAt, quiet, timeZone);
  if (r.kind !== 'appointment_due') return deferred;
  const visit = appointmentOf(r.id);
  return visit !== null && deferred >= visit.startsAt ? r.dueAt : deferred;
}

/** Signals on patient.signals after which a patient's future reminders are planned again (FHIR import, admin API). */
const REPLAN_ON = new Set(['medication_started', 'medication_recorded', 'medication_changed', 'medication_stopped', 'dispense_recorded', 'dispense_changed', 'patient_updated',
  // Appointments (FHIR import, the booking service): a booking, a move, a cancellation or a no-show re-plans its reminders.
  'appointment_booked', 'appointment_changed', 'appointment_cancelled', 'appointment_no_show']);

/** True when a signal of this type changes what or when a patient is reminded. */
export function replansOn(signalType: string): boolean {
  return REPLAN_ON.has(signalType);
}
