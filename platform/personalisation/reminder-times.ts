/*
 * Send-time optimisation applied to a patient's planned reminders, before the delivery rules: each
 * movable reminder (a refill nudge; a dose reminder inside the dose window the organisation allows)
 * gets the local hour Thompson sampling picks over the hours it may take, in the patient's zone and
 * outside their quiet hours. Pure: the profile's hour counts, the segment's pooled counts and the
 * settings come in as plain values; the draw is seeded by the occurrence id, so re-planning with
 * the same profile gives the same time. Reminders of one kind due at one instant (two doses at
 * 08:00) move together, seeded by the first id, so they still go out as one message.
 */
import { seededRandom } from '../random/seeded.js';
import type { PlannedReminder } from '../reminders/plan.js';
import type { QuietHours } from '../reminders/quiet-hours.js';
import { localParts, zonedTimeToUtc } from '../time/zones.js';
import { emptyHourly, chooseAmongHours, allowedHours, DEFAULT_SEND_TIME, type HourlyStats, type SendTimeOptions } from './send-time.js';
import { hourlyOf, type HourCounts } from './send-plan.js';

/** An organisation's send-time settings (`organizations.send_time`, JSON); absent or malformed: off. */
export interface SendTimeSettings {
  enabled: boolean;
  /** A dose reminder may move this many minutes before its prescribed time… */
  doseMinutesBefore: number;
  /** …and this many after (never beyond the delivery rules' dose window). */
  doseMinutesAfter: number;
  /** A refill nudge may go out at any whole local hour from… */
  refillFirstHour: number;
  /** …to this one (inclusive), on the day it was planned for. */
  refillLastHour: number;
}

export const SEND_TIME_OFF: SendTimeSettings = Object.freeze({ enabled: false, doseMinutesBefore: 60, doseMinutesAfter: 120, refillFirstHour: 9, refillLastHour: 19 });

const int = (v: unknown, lo: number, hi: number, dflt: number): number => (typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? v : dflt);

/** Settings from the stored JSON: `{"enabled": true, "doseMinutesBefore": 60, …}`; each bad or missing value takes its default. */
export function parseSendTimeSettings(raw: unknown): SendTimeSettings {
  if (typeof raw !== 'object' || raw === null) return SEND_TIME_OFF;
  const r = raw as Record<string, unknown>;
  const first = int(r['refillFirstHour'], 0, 23, SEND_TIME_OFF.refillFirstHour);
  return {
    enabled: r['enabled'] === true,
    doseMinutesBefore: int(r['doseMinutesBefore'], 0, 720, SEND_TIME_OFF.doseMinutesBefore),
    doseMinutesAfter: int(r['doseMinutesAfter'], 0, 720, SEND_TIME_OFF.doseMinutesAfter),
    refillFirstHour: first,
    refillLastHour: Math.max(first, int(r['refillLastHour'], 0, 23, SEND_TIME_OFF.refillLastHour)),
  };
}

/** Whether the engine may move a reminder of this kind (appointments and pickups keep their time). */
export const isMovable = (r: Pick<PlannedReminder, 'kind'>): boolean => r.kind === 'dose_due' || r.kind === 'refill_due';

export interface ReminderTimesInput {
  settings: SendTimeSettings;
  timeZone: string;
  /** The quiet hours that apply to the patient (theirs, else the organisation's); null: none. */
  quiet: QuietHours | null;
  /** The patient's hour counts per channel (their profile); empty for a patient with no profile. */
  patient: readonly HourCounts[];
  /** The pooled hour counts of the patient's segment (else of the organisation); empty when unknown. */
  segment: readonly HourCounts[];
  /** The delivery rules' dose window: a dose is never moved later than this after its time. */
  doseWindowMs: number;
  /** Planning time: no reminder is moved to an instant before it. */
  now: number;
  options?: SendTimeOptions;
}

export interface MovedTime { id: string; from: number; to: number }

/** FNV-1a of the occurrence id: the seed of its draw. */
function seedOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The instants a reminder may take, by local hour: whole hours of its local day inside its window, outside quiet hours, after `now`; its own hour keeps its own instant. */
function candidates(r: PlannedReminder, input: ReminderTimesInput): Map<number, number> {
  const { settings: s, timeZone: tz } = input;
  const local = localParts(r.dueAt, tz);
  const dose = r.kind === 'dose_due';
  const earliest = dose ? r.dueAt - s.doseMinutesBefore * 60_000 : -Infinity;
  const latest = dose ? r.dueAt + Math.min(s.doseMinutesAfter * 60_000, input.doseWindowMs) : Infinity;
  const [first, last] = dose ? [0, 23] : [s.refillFirstHour, s.refillLastHour];
  const out = new Map<number, number>();
  for (const hour of allowedHours({ firstHour: first, lastHour: last, quiet: input.quiet })) {
    const at = hour === local.hour ? r.dueAt : zonedTimeToUtc(local.year, local.month, local.day, hour, 0, tz);
    // A skipped or repeated wall hour (daylight-saving change) lands on another local hour: not a candidate.
    if (localParts(at, tz).hour !== hour || at < earliest || at > latest || at < input.now) continue;
    out.set(hour, at);
  }
  return out;
}

/**
 * The planned reminders with movable ones at their chosen times (the others as they were), and
 * what moved. With the settings off, or a reminder with no candidate hour, times stay as planned.
 */
export function chooseReminderTimes(planned: readonly PlannedReminder[], input: ReminderTimesInput): { planned: PlannedReminder[]; moved: MovedTime[] } {
  if (!input.settings.enabled) return { planned: [...planned], moved: [] };
  const patient: HourlyStats = hourlyOf(input.patient);
  const segment: HourlyStats = input.segment.length === 0 ? emptyHourly() : hourlyOf(input.segment);
  const groups = new Map<string, PlannedReminder[]>();
  for (const r of planned) {
    if (!isMovable(r)) continue;
    const k = `${r.kind}@${r.dueAt}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const to = new Map<string, number>();
  const moved: MovedTime[] = [];
  for (const members of groups.values()) {
    const lead = [...members].sort((a, b) => a.id.localeCompare(b.id))[0] as PlannedReminder;
    const options = candidates(lead, input);
    const hours = [...options.keys()].sort((a, b) => a - b);
    const anchor = localParts(lead.dueAt, input.timeZone).hour;
    const choice = chooseAmongHours(patient, segment, hours, seededRandom(seedOf(lead.id)), input.options ?? DEFAULT_SEND_TIME, anchor);
    const at = choice === null ? undefined : options.get(choice.hour);
    if (at === undefined || at === lead.dueAt) continue;
    for (const m of members) {
      to.set(m.id, at);
      moved.push({ id: m.id, from: m.dueAt, to: at });
    }
  }
  return { planned: planned.map((r) => { const at = to.get(r.id); return at === undefined ? r : { ...r, dueAt: at }; }), moved };
}
