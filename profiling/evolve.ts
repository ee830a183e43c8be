/*
 * How one event changes a profile: evolve(profile, event, zone) → profile. Pure. Every step commutes
 * (counts, OR-ed bitmaps, windows anchored on the latest event time), so a replay that interleaves the
 * topics differently gives the same profile; answers pair with prompts in either arrival order.
 */
import { DOSE_DAYS, ENGAGEMENT_WEEKS, RESPONSE_WINDOW_MS, type ProfileChannel, type ProfileFeatures } from '../platform/profiles/features.js';
import { MAX_COUNT, RECENT_RING, SEEN_RING } from '../platform/profiles/codec.js';
import { utcOffsetMinutes } from '../platform/time/zones.js';

export type ProfileEvent =
  /** The patient wrote (chat.intents). */
  | { kind: 'inbound'; id: string; at: number; channel: ProfileChannel; language: string }
  /** The patient read a message (delivery.status READ). */
  | { kind: 'read'; id: string; at: number; channel: ProfileChannel }
  /** A proactive message went out (chat.outbound PROACTIVE). */
  | { kind: 'prompt'; id: string; at: number; channel: ProfileChannel }
  /** A dose fell due (patient.signals dose_due). */
  | { kind: 'dose_due'; id: string; at: number }
  /** The patient said whether they took a dose (patient.actions record_adherence). */
  | { kind: 'adherence'; id: string; at: number; taken: boolean };

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const WINDOW_MIN = RESPONSE_WINDOW_MS / MINUTE_MS;

/** FNV-1a, 32 bits: enough to spot a redelivered record among the last few. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

interface Local { day: number; week: number; hour: number; weekday: number }

// The zone's offset changes only at transitions (on quarter hours): remembered per zone and quarter
// hour under a numeric key, so a batch's events skip localParts' string keys and Date fields.
const QUARTER_HOUR_MS = 900_000;
const offsetsByZone = new Map<string, Map<number, number>>();

function offsetMs(at: number, zone: string): number {
  const quarter = Math.floor(at / QUARTER_HOUR_MS);
  let zoneOffsets = offsetsByZone.get(zone);
  if (zoneOffsets === undefined) {
    if (offsetsByZone.size >= 1000) offsetsByZone.clear();
    zoneOffsets = new Map();
    offsetsByZone.set(zone, zoneOffsets);
  }
  const hit = zoneOffsets.get(quarter);
  if (hit !== undefined) return hit;
  const o = utcOffsetMinutes(zone, new Date(at)) * MINUTE_MS;
  if (zoneOffsets.size >= 50_000) zoneOffsets.clear();
  zoneOffsets.set(quarter, o);
  return o;
}

function local(at: number, zone: string): Local {
  const t = at + offsetMs(at, zone);
  const day = Math.floor(t / DAY_MS);
  // Weeks start on Thursday 1970-01-01; any fixed origin works for a sliding window.
  return { day, week: Math.floor(day / 7), hour: Math.floor((t - day * DAY_MS) / 3_600_000), weekday: (((day + 4) % 7) + 7) % 7 };
}

function shiftBits(bits: Uint8Array, by: number): Uint8Array {
  const out = new Uint8Array(bits.length);
  for (let i = 0; i + by < DOSE_DAYS; i++) {
    if (((bits[i >> 3] ?? 0) & (1 << (i & 7))) === 0) continue;
    const j = i + by;
    out[j >> 3] = (out[j >> 3] ?? 0) | (1 << (j & 7));
  }
  return out;
}

function setBit(bits: Uint8Array, i: number): void {
  bits[i >> 3] = (bits[i >> 3] ?? 0) | (1 << (i & 7));
}

/** The bit index of `day`, moving the window forward first when it is newer; -1 when it fell out. */
function dayIndex(p: ProfileFeatures, day: number): number {
  const d = p.dose;
  if (d.lastDay === 0 || day > d.lastDay) {
    const by = d.lastDay === 0 ? DOSE_DAYS : day - d.lastDay;
    d.dueDays = shiftBits(d.dueDays, by);
    d.takenDays = shiftBits(d.takenDays, by);
    d.missedDays = shiftBits(d.missedDays, by);
    d.lastDay = day;
  }
  const i = d.lastDay - day;
  return i < DOSE_DAYS ? i : -1;
}

function countWeek(p: ProfileFeatures, week: number): void {
  if (p.lastWeek === 0 || week > p.lastWeek) {
    const by = p.lastWeek === 0 ? ENGAGEMENT_WEEKS : week - p.lastWeek;
    p.weeklyMessages = [...new Array<number>(Math.min(by, ENGAGEMENT_WEEKS)).fill(0), ...p.weeklyMessages].slice(0, ENGAGEMENT_WEEKS);
    p.lastWeek = week;
  }
  const i = p.lastWeek - week;
  if (i < ENGAGEMENT_WEEKS) p.weeklyMessages[i] = (p.weeklyMessages[i] ?? 0) + 1;
}

function pushSorted<T extends { at: number; channel: ProfileChannel }>(ring: T[], e: T): T[] {
  const next = [...ring, e].sort((a, b) => a.at - b.at || a.channel.localeCompare(b.channel));
  return next.slice(-RECENT_RING);
}

function credit(p: ProfileFeatures, prompt: { at: number; channel: ProfileChannel }, answerAt: number, zone: string): void {
  const h = local(prompt.at * MINUTE_MS, zone).hour;
  const c = p.channels[prompt.channel];
  c.answered[h] = (c.answered[h] ?? 0) + 1;
  c.latencyMinutes[h] = (c.latencyMinutes[h] ?? 0) + (answerAt - prompt.at);
}

function onInbound(p: ProfileFeatures, at: number, channel: ProfileChannel, zone: string): void {
  const min = Math.floor(at / MINUTE_MS);
  // The latest unanswered prompt before this message, within the response window, is answered by it.
  const open = p.recentPrompts.filter((q) => !q.answered && q.at <= min && min - q.at <= WINDOW_MIN);
  const prompt = open[open.length - 1];
  if (prompt !== undefined) {
    prompt.answered = true;
    credit(p, prompt, min, zone);
  }
  p.recentInbound = pushSorted(p.recentInbound, { at: min, channel });
}

function onPrompt(p: ProfileFeatures, at: number, channel: ProfileChannel, hour: number, zone: string): void {
  const min = Math.floor(at / MINUTE_MS);
  const c = p.channels[channel];
  c.prompts[hour] = (c.prompts[hour] ?? 0) + 1;
  // A message that arrived before its prompt was processed (another topic, another pace) still answers it.
  const answer = p.recentInbound.find((i) => i.at >= min && i.at - min <= WINDOW_MIN);
  const laterPrompt = p.recentPrompts.some((q) => q.at > min && answer !== undefined && q.at <= answer.at);
  const entry = { at: min, channel, answered: answer !== undefined && !laterPrompt };
  if (entry.answered && answer !== undefined) credit(p, entry, answer.at, zone);
  p.recentPrompts = pushSorted(p.recentPrompts, entry);
}

/** Applies one event; returns the same profile object, changed (callers own it). */
export function evolve(p: ProfileFeatures, e: ProfileEvent, zone: string): ProfileFeatures {
  const seen = { at: Math.floor(e.at / MINUTE_MS), hash: hash32(e.id) };
  if (p.seen.some((s) => s.hash === seen.hash && s.at === seen.at)) return p;
  rememberSeen(p.seen, seen);
  p.events++;
  p.updatedAt = Math.max(p.updatedAt, e.at);
  const t = local(e.at, zone);
  switch (e.kind) {
    case 'inbound': {
      const c = p.channels[e.channel];
      c.active[t.hour] = (c.active[t.hour] ?? 0) + 1;
      if (e.language === 'en' || e.language === 'es') p.languages[e.language]++;
      countWeek(p, t.week);
      onInbound(p, e.at, e.channel, zone);
      break;
    }
    case 'read': {
      const c = p.channels[e.channel];
      c.active[t.hour] = (c.active[t.hour] ?? 0) + 1;
      break;
    }
    case 'prompt':
      onPrompt(p, e.at, e.channel, t.hour, zone);
      break;
    case 'dose_due': {
      const i = dayIndex(p, t.day);
      if (i >= 0) setBit(p.dose.dueDays, i);
      break;
    }
    case 'adherence': {
      const i = dayIndex(p, t.day);
      if (i >= 0) {
        setBit(p.dose.dueDays, i);
        setBit(e.taken ? p.dose.takenDays : p.dose.missedDays, i);
      }
      if (!e.taken) p.dose.missedByWeekday[t.weekday] = (p.dose.missedByWeekday[t.weekday] ?? 0) + 1;
      break;
    }
  }
  decayWhenFull(p.channels.WEB);
  decayWhenFull(p.channels.SMS);
  return p;
}

/** Halves a channel's hourly counts before any saturates: rates and the hour shape survive. */
function decayWhenFull(c: ProfileFeatures['channels']['WEB']): void {
  let max = 0;
  for (let h = 0; h < 24; h++) max = Math.max(max, c.latencyMinutes[h] ?? 0, c.active[h] ?? 0, c.prompts[h] ?? 0);
  if (max < MAX_COUNT / 2) return;
  for (const k of ['active', 'prompts', 'answered', 'latencyMinutes'] as const) c[k] = c[k].map((v) => Math.floor(v / 2));
}

/** Keeps the newest ids by event time, not by arrival, so the ring is the same whatever the interleaving. */
function rememberSeen(ring: Array<{ at: number; hash: number }>, e: { at: number; hash: number }): void {
  let i = ring.length;
  while (i > 0 && ((ring[i - 1]?.at ?? 0) > e.at || ((ring[i - 1]?.at ?? 0) === e.at && (ring[i - 1]?.hash ?? 0) > e.hash))) i--;
  ring.splice(i, 0, e);
  if (ring.length > SEEN_RING) ring.splice(0, ring.length - SEEN_RING);
}
