/*
 * Adherence, measured the way pharmacists measure it: each dose occurrence ends as taken, taken late,
 * skipped or unknown; dose-level adherence per medication over a window; streaks of fully taken days;
 * and the proportion of days covered (PDC, Pharmacy Quality Alliance) from dispenses. Pure: no I/O.
 */
import { localParts } from '../time/zones.js';

export type DoseOutcome = 'taken' | 'taken_late' | 'skipped' | 'unknown';

/** What the patient said about one occurrence (chat, API); the latest answer wins. */
export interface DoseAnswer {
  kind: 'taken' | 'skipped';
  at: number;
}

export interface OutcomeRules {
  /** Taken within this long after the due time is on time; later is taken late. */
  onTimeMs: number;
  /** With no answer this long after the due time, the occurrence ends as unknown; an answer until then still counts. */
  closeAfterMs: number;
}

export const DEFAULT_OUTCOME_RULES: OutcomeRules = { onTimeMs: 2 * 3_600_000, closeAfterMs: 24 * 3_600_000 };

/**
 * The outcome of one occurrence at `now`, or null while it is still open (no answer, not yet closed).
 * An answer after the close still counts (a late "yes" is a dose taken late, not unknown).
 */
export function doseOutcome(dueAt: number, answer: DoseAnswer | null, now: number, rules: OutcomeRules = DEFAULT_OUTCOME_RULES): DoseOutcome | null {
  if (answer !== null) {
    if (answer.kind === 'skipped') return 'skipped';
    return answer.at - dueAt <= rules.onTimeMs ? 'taken' : 'taken_late';
  }
  return now - dueAt >= rules.closeAfterMs ? 'unknown' : null;
}

export interface DoseRecord {
  medicationId: string;
  dueAt: number;
  /** null: still open. */
  outcome: DoseOutcome | null;
}

export interface DoseAdherence {
  /** Closed occurrences in the window (open ones are not counted either way). */
  doses: number;
  taken: number;
  takenLate: number;
  skipped: number;
  unknown: number;
  /** (taken + taken late) ÷ doses; null without a closed dose. */
  rate: number | null;
}

const DAY = 86_400_000;

/** Dose-level adherence of one medication (or all, with null) over the `days` before `now`. */
export function doseAdherence(records: readonly DoseRecord[], medicationId: string | null, days: number, now: number): DoseAdherence {
  const from = now - days * DAY;
  const a: DoseAdherence = { doses: 0, taken: 0, takenLate: 0, skipped: 0, unknown: 0, rate: null };
  for (const r of records) {
    if (r.outcome === null || r.dueAt < from || r.dueAt > now || (medicationId !== null && r.medicationId !== medicationId)) continue;
    a.doses++;
    if (r.outcome === 'taken') a.taken++;
    else if (r.outcome === 'taken_late') a.takenLate++;
    else if (r.outcome === 'skipped') a.skipped++;
    else a.unknown++;
  }
  a.rate = a.doses === 0 ? null : (a.taken + a.takenLate) / a.doses;
  return a;
}

/** Windows reported everywhere (workflows, analytics). */
export const ADHERENCE_WINDOWS = [7, 30, 90] as const;

export interface Streaks {
  /** Local days in a row, up to the latest closed day, on which every dose was taken (late counts). */
  current: number;
  longest: number;
}

/** Streaks over closed doses, by local day in `timeZone`; days without doses neither count nor break. */
export function streaks(records: readonly DoseRecord[], timeZone: string): Streaks {
  const byDay = new Map<string, boolean>();
  for (const r of records) {
    if (r.outcome === null) continue;
    const p = localParts(r.dueAt, timeZone);
    const key = `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
    const ok = r.outcome === 'taken' || r.outcome === 'taken_late';
    byDay.set(key, (byDay.get(key) ?? true) && ok);
  }
  let current = 0;
  let longest = 0;
  for (const day of [...byDay.keys()].sort()) {
    current = byDay.get(day) === true ? current + 1 : 0;
    longest = Math.max(longest, current);
  }
  return { current, longest };
}

export interface PdcFill {
  /** Local calendar day of the fill, as days since 1970-01-01 (see `localDay`). */
  day: number;
  daysSupply: number;
}

export interface Pdc {
  /** Days from the index fill to the end of the measurement period, inclusive. */
  treatmentDays: number;
  coveredDays: number;
  /** coveredDays ÷ treatmentDays; null without a fill in the period. */
  pdc: number | null;
  /** PQA's denominator: two or more fills on different days in the period. */
  eligible: boolean;
}

/** A local calendar day as a day number, so PDC counts days as the patient lives them. */
export function localDay(at: number, timeZone: string): number {
  const p = localParts(at, timeZone);
  return Math.floor(Date.UTC(p.year, p.month - 1, p.day) / DAY);
}

/**
 * PDC of one drug over the measurement period [firstDay, lastDay] (PQA): the treatment period starts
 * at the first fill in the period (the index date); an early refill's supply is shifted to start when
 * the previous supply ends; days covered past the period's end are cut off.
 */
export function pdc(fills: readonly PdcFill[], firstDay: number, lastDay: number): Pdc {
  const inPeriod = fills.filter((f) => f.day >= firstDay && f.day <= lastDay && f.daysSupply > 0).sort((a, b) => a.day - b.day);
  const first = inPeriod[0];
  if (first === undefined) return { treatmentDays: 0, coveredDays: 0, pdc: null, eligible: false };
  const treatmentDays = lastDay - first.day + 1;
  let covered = 0;
  let nextFree = first.day;
  for (const f of inPeriod) {
    const start = Math.max(f.day, nextFree);
    const end = Math.min(start + Math.floor(f.daysSupply) - 1, lastDay);
    if (end >= start) covered += end - start + 1;
    nextFree = Math.max(nextFree, start + Math.floor(f.daysSupply));
  }
  const eligible = new Set(inPeriod.map((f) => f.day)).size >= 2;
  return { treatmentDays, coveredDays: covered, pdc: covered / treatmentDays, eligible };
}

export interface MedicationAdherence {
  medicationId: string;
  windows: Record<(typeof ADHERENCE_WINDOWS)[number], DoseAdherence>;
  streaks: Streaks;
}

/** Every medication's dose adherence over 7/30/90 days and streaks, in medication id order. */
export function adherenceByMedication(records: readonly DoseRecord[], now: number, timeZone: string): MedicationAdherence[] {
  const ids = [...new Set(records.map((r) => r.medicationId))].sort();
  return ids.map((medicationId) => {
    const mine = records.filter((r) => r.medicationId === medicationId && r.dueAt <= now);
    return {
      medicationId,
      windows: { 7: doseAdherence(mine, null, 7, now), 30: doseAdherence(mine, null, 30, now), 90: doseAdherence(mine, null, 90, now) },
      streaks: streaks(mine, timeZone),
    };
  });
}

/** The longest run of most recent closed doses not taken (skipped or unknown), for the caregiver loop. */
export function consecutiveMissed(records: readonly DoseRecord[]): number {
  const closed = records.filter((r) => r.outcome !== null).sort((a, b) => b.dueAt - a.dueAt);
  let n = 0;
  for (const r of closed) {
    if (r.outcome === 'taken' || r.outcome === 'taken_late') break;
    n++;
  }
  return n;
}
