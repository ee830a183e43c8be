/*
 * The caregiver loop, as a decision: after N missed doses in a row a caregiver the patient named
 * hears about it on their own channel, once per run of misses; what they are told depends on what
 * the patient consented to (never a condition or a medication unless allowed). Pure.
 */

/** Recipient ids of caregivers on chat.outbound and in sealing: `cgv_<caregiver id>` (the number lives inside sealed content). */
export const CAREGIVER_PREFIX = 'cgv_';

/** The blind-index kind of a caregiver's phone (the API stores it, an inbound STOP finds it). */
export const CAREGIVER_PHONE_INDEX = 'caregiver_phone';

/** What the patient allows a caregiver to be told. */
export type CaregiverScope = 'missed_doses' | 'missed_doses_with_medication';

export interface Caregiver {
  id: string;
  /** Patient consent to tell this caregiver anything at all; without it nobody is contacted. */
  consented: boolean;
  scope: CaregiverScope;
  /** The caregiver said STOP: never contacted again until they opt back in. */
  optedOut: boolean;
  active: boolean;
}

export interface CaregiverContact {
  caregiverId: string;
  /** The template of the message; the text is rendered at the delivery edge from it and `vars`. */
  templateId: 'caregiver_missed_doses' | 'caregiver_missed_doses_medication';
  /** Missed doses in a row, and (with consent only) the medications' care-plan ids. */
  missed: number;
  medicationIds: string[];
}

export interface MissedRun {
  /** Consecutive most recent closed doses not taken. */
  missed: number;
  /** The care-plan ids of those doses. */
  medicationIds: readonly string[];
  /** Id of the latest missed occurrence: one contact per run, however often this is evaluated. */
  lastMissedId: string | null;
}

/**
 * Whom to contact now: every active, consenting, not opted-out caregiver, once the run reaches
 * `threshold`, unless this run was already reported (`alreadyContactedFor` holds its last id).
 */
export function caregiverContacts(run: MissedRun, caregivers: readonly Caregiver[], threshold: number, alreadyContactedFor: ReadonlySet<string>): CaregiverContact[] {
  if (threshold < 1 || run.missed < threshold || run.lastMissedId === null) return [];
  return caregivers
    .filter((c) => c.active && c.consented && !c.optedOut && !alreadyContactedFor.has(`${c.id}:${run.lastMissedId ?? ''}`))
    .map((c) => c.scope === 'missed_doses_with_medication'
      ? { caregiverId: c.id, templateId: 'caregiver_missed_doses_medication', missed: run.missed, medicationIds: [...new Set(run.medicationIds)].sort() }
      : { caregiverId: c.id, templateId: 'caregiver_missed_doses', missed: run.missed, medicationIds: [] });
}

/** The key that makes a contact once per run (stored with the audit row). */
export function contactKey(caregiverId: string, lastMissedId: string): string {
  return `${caregiverId}:${lastMissedId}`;
}

const TEXT: Record<CaregiverContact['templateId'], string> = {
  caregiver_missed_doses: '{patient} has missed {missed} reminders from {org} in a row. You may want to check in with them. Reply STOP to stop these messages.',
  caregiver_missed_doses_medication: '{patient} has missed {missed} doses of {medications} in a row, according to {org}. You may want to check in with them. Reply STOP to stop these messages.',
};

/** The caregiver's message; `medications` is used only by the template that consent allows. */
export function caregiverText(c: CaregiverContact, vars: { patient: string; org: string; medications: string }): string {
  return TEXT[c.templateId].replace(/\{(\w+)\}/g, (_, k: string) => (k === 'missed' ? String(c.missed) : k === 'medications' ? vars.medications : k === 'patient' ? vars.patient : k === 'org' ? vars.org : ''));
}

/** The run of latest closed doses not taken, from dose records (one per medication of an occurrence). */
export function missedRun(records: ReadonlyArray<{ occurrenceId: string; medicationId: string; dueAt: number; outcome: string | null }>): MissedRun {
  const closed = records.filter((r) => r.outcome !== null).sort((a, b) => b.dueAt - a.dueAt || a.occurrenceId.localeCompare(b.occurrenceId));
  const occurrences: string[] = [];
  const meds: string[] = [];
  for (const r of closed) {
    if (r.outcome === 'taken' || r.outcome === 'taken_late') break;
    if (!occurrences.includes(r.occurrenceId)) occurrences.push(r.occurrenceId);
    meds.push(r.medicationId);
  }
  return { missed: occurrences.length, medicationIds: [...new Set(meds)].sort(), lastMissedId: occurrences[0] ?? null };
}
