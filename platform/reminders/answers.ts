/*
 * What the patient says back to a reminder, as facts about one occurrence: taken, skipped, snoozed.
 * The chat does not name the occurrence, so the answer goes to the latest one sent and still open
 * (of the medication named, when one is). And a wish about *when* messages come ("not at night",
 * "only after 9") becomes quiet hours rather than an opt-out. Pure.
 */
import type { QuietHours } from './quiet-hours.js';

export type AnswerKind = 'taken' | 'skipped' | 'snoozed';

export interface OccurrenceAnswer {
  kind: AnswerKind;
  at: number;
  /** Snoozed: when to remind again. */
  until?: number;
}

/** A sent occurrence that can still take an answer. */
export interface OpenOccurrence {
  id: string;
  medicationIds: readonly string[];
  dueAt: number;
  dispatchedAt: number;
}

/**
 * The occurrence an answer at `at` is about: the latest dispatched before it within `windowMs` (a
 * late answer still counts), of `medicationId` when the answer names one; null when none.
 */
export function pickOccurrence(open: readonly OpenOccurrence[], medicationId: string | null, at: number, windowMs: number): OpenOccurrence | null {
  let best: OpenOccurrence | null = null;
  for (const o of open) {
    if (o.dispatchedAt > at || at - o.dueAt > windowMs) continue;
    if (medicationId !== null && medicationId !== '' && !o.medicationIds.includes(medicationId)) continue;
    if (best === null || o.dueAt > best.dueAt) best = o;
  }
  return best;
}

/**
 * The answer carried by one of the dialogue's actions (record_adherence, set_reminder for a
 * snooze); null for any other action and for "unknown" (no answer is not an answer).
 */
export function answerOfAction(type: string, attributes: Readonly<Record<string, string>>, at: number): OccurrenceAnswer | null {
  if (type === 'record_adherence') {
    const taken = attributes['taken'];
    if (taken === 'true') return { kind: 'taken', at };
    if (taken === 'false') return { kind: 'skipped', at };
    return null;
  }
  if (type === 'set_reminder' && attributes['reason'] === 'snooze') {
    const until = Date.parse(attributes['at'] ?? '');
    return Number.isFinite(until) ? { kind: 'snoozed', at, until } : null;
  }
  return null;
}

const NIGHT: QuietHours = { start: '22:00', end: '07:00' };

function hourOf(raw: string, ampm: string | undefined, assumeMorning: boolean): string | null {
  let h = Number(raw);
  if (!Number.isInteger(h) || h < 0 || h > 23) return null;
  const meridiem = ampm?.toLowerCase();
  if (meridiem === 'pm' && h < 12) h += 12;
  else if (meridiem === 'am' && h === 12) h = 0;
  else if (meridiem === undefined && !assumeMorning && h < 12) h += 12;
  return `${String(h).padStart(2, '0')}:00`;
}

/**
 * Quiet hours from a wish about when messages come, or null when the text is no such wish:
 * "not at night" / "stop … at night" → 22:00–07:00; "only after 9", "not before 9" → 22:00–09:00;
 * "not after 8 pm", "only before 8pm" → 20:00–07:00.
 */
export function timePreference(text: string): QuietHours | null {
  const t = text.toLowerCase();
  if (/\b(at|during the) night\b|\bnight ?time\b|\bovernight\b|\bpor la noche\b|\bde noche\b/.test(t)) return NIGHT;
  const after = /\b(?:only after|not before|after|no (?:messages|texts) before)\s+(\d{1,2})(?::00)?\s*(am|pm)?\b/.exec(t);
  if (after?.[1] !== undefined && /\b(only|not before|before)\b/.test(t)) {
    const end = hourOf(after[1], after[2], true);
    return end === null ? null : { start: NIGHT.start, end };
  }
  const before = /\b(?:not after|only before|no (?:messages|texts) after)\s+(\d{1,2})(?::00)?\s*(am|pm)?\b/.exec(t);
  if (before?.[1] !== undefined) {
    const start = hourOf(before[1], before[2], false);
    return start === null || start === NIGHT.end ? null : { start, end: NIGHT.end };
  }
  return null;
}
