/*
 * The rules a patient expects, applied to one patient's planned reminders before they are stored:
 * STOP silences all; quiet hours (the patient's own over the organisation's) push a reminder to the
 * window's end unless that would miss the dose window; doses of one time go out as one message; at
 * most N proactive messages a local day; a same-minute burst is spread over a short window. Pure.
 */
import { localParts } from '../time/zones.js';
import { quietDueAt, type PlannedReminder } from './plan.js';
import type { QuietHours } from './quiet-hours.js';

export interface DeliveryRules {
  timeZone: string;
  /** The organisation's default quiet hours; null: none. */
  orgQuietHours: QuietHours | null;
  /** The patient's own: undefined keeps the organisation's, null turns quiet hours off for them. */
  patientQuietHours?: QuietHours | null;
  /** A dose deferred later than this after its planned time would be missed: it keeps its time instead. */
  doseWindowMs: number;
  /** Proactive messages a local day at most; 0: no cap. */
  dailyCap: number;
  /** Reminders of one minute are spread over [0, spreadMs) after it, stably by patient. */
  spreadMs: number;
  /** STOP on record: nothing proactive until START. */
  optedOut: boolean;
  /** Reminders already sent to the patient (due times after the rules): they count towards their day's cap. */
  alreadySent?: ReadonlyArray<Pick<PlannedReminder, 'id' | 'patientId' | 'dueAt'>>;
}

export type SuppressedReason = 'opted_out' | 'daily_cap';

export interface RuledReminder extends PlannedReminder {
  /** When it planned to be due, before the rules moved it. */
  plannedAt: number;
  /** The occurrences this one message stands for (itself first): doses of one time grouped. */
  members: string[];
}

export interface RulesResult {
  send: RuledReminder[];
  /** Occurrences that will not be sent, with why (for metrics and the outcome: they end as unknown). */
  suppressed: Array<{ id: string; reason: SuppressedReason }>;
}

const MINUTE = 60_000;

/** The quiet hours that apply to a patient: their own when they set them, else the organisation's. */
export function effectiveQuietHours(r: Pick<DeliveryRules, 'orgQuietHours' | 'patientQuietHours'>): QuietHours | null {
  return r.patientQuietHours === undefined ? r.orgQuietHours : r.patientQuietHours;
}

/** A stable 0…1 fraction from a string (FNV-1a), so re-planning spreads a burst the same way. */
function fraction(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h / 0x1_0000_0000;
}

function localDate(at: number, timeZone: string): string {
  const p = localParts(at, timeZone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** Quiet hours for one reminder: deferred to the window's end, unless a dose would then be too late. */
function quietTime(r: PlannedReminder, quiet: QuietHours | null, rules: DeliveryRules): number {
  const deferred = quietDueAt(r, quiet, rules.timeZone);
  return r.kind === 'dose_due' && deferred - r.dueAt > rules.doseWindowMs ? r.dueAt : deferred;
}

/** Doses of one patient due the same minute become one message: the first by id leads and names every medication. */
function group(reminders: readonly RuledReminder[]): RuledReminder[] {
  const out: RuledReminder[] = [];
  const leaders = new Map<string, RuledReminder>();
  for (const r of [...reminders].sort((a, b) => a.dueAt - b.dueAt || a.id.localeCompare(b.id))) {
    const minute = `${r.patientId}:${Math.floor(r.dueAt / MINUTE)}`;
    const leader = r.kind === 'dose_due' ? leaders.get(minute) : undefined;
    if (leader === undefined) {
      const copy = { ...r, members: [r.id] };
      if (r.kind === 'dose_due') leaders.set(minute, copy);
      out.push(copy);
      continue;
    }
    leader.members.push(r.id);
    const meds = new Set([...leader.medicationId.split(','), r.medicationId]);
    leader.medicationId = [...meds].filter((m) => m !== '').join(',');
  }
  return out;
}

/** Applies the rules to one patient's planned reminders (any order); the result is in time order. */
export function applyRules(planned: readonly PlannedReminder[], rules: DeliveryRules): RulesResult {
  if (rules.optedOut) return { send: [], suppressed: planned.map((r) => ({ id: r.id, reason: 'opted_out' })) };
  const quiet = effectiveQuietHours(rules);
  const moved = planned.map((r): RuledReminder => ({ ...r, plannedAt: r.dueAt, dueAt: quietTime(r, quiet, rules), members: [r.id] }));
  const grouped = group(moved);
  const send: RuledReminder[] = [];
  const suppressed: RulesResult['suppressed'] = [];
  const perDay = new Map<string, number>();
  // A re-plan later in the day (a new dispense, a changed prescription) must not forget what already went out.
  const replanned = new Set(planned.map((r) => r.id));
  for (const r of rules.alreadySent ?? []) {
    if (replanned.has(r.id)) continue;
    const day = `${r.patientId}:${localDate(r.dueAt, rules.timeZone)}`;
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
  }
  for (const r of grouped) {
    const day = `${r.patientId}:${localDate(r.dueAt, rules.timeZone)}`;
    const n = perDay.get(day) ?? 0;
    if (rules.dailyCap > 0 && n >= rules.dailyCap) {
      for (const id of r.members) suppressed.push({ id, reason: 'daily_cap' });
      continue;
    }
    perDay.set(day, n + 1);
    // Spread within the minute's window, stably by patient: a top-of-the-hour burst arrives smoothed.
    const offset = rules.spreadMs > 0 ? Math.floor(fraction(`${r.patientId}:${Math.floor(r.dueAt / MINUTE)}`) * rules.spreadMs) : 0;
    send.push({ ...r, dueAt: r.dueAt + offset });
  }
  return { send: send.sort((a, b) => a.dueAt - b.dueAt || a.id.localeCompare(b.id)), suppressed };
}
