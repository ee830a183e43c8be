/*
 * The compact encoding of a profile: unsigned LEB128 varints for counts (most are small), sparse hour
 * arrays, fixed bytes for bitmaps and bands. Typically 250-350 bytes; at most about 800 (every count
 * saturated, every ring full).
 */
import { CareloopError } from '../errors.js';
import {
  AGE_BANDS, DOSE_DAYS, ENGAGEMENT_WEEKS, PROFILE_CHANNELS, PROFILE_TOPICS, PROFILE_VERSION, RISK_LEVELS, SEXES,
  emptyProfile, type ChannelHours, type ProfileChannel, type ProfileFeatures,
} from './features.js';

/** Recent-event rings kept for answer pairing; bounded so the encoding stays small. */
export const RECENT_RING = 16;
/** Event-id hashes kept for redelivery checks. */
export const SEEN_RING = 8;
/** Counts saturate here (two varint bytes); profiling/ halves a channel's counts before they reach it. */
export const MAX_COUNT = 0x3fff;

function u32(h: number): Uint8Array {
  return Uint8Array.of((h >>> 24) & 0xff, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff);
}

class Writer {
  private buf = new Uint8Array(512);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v & 0xff;
  }

  varint(value: number): void {
    let v = Math.max(0, Math.min(Math.floor(value), Number.MAX_SAFE_INTEGER));
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  done(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  private fail(): never {
    throw new CareloopError('RECORD_INVALID', 'profile encoding is truncated or corrupt', { retryable: false });
  }

  u8(): number {
    const v = this.buf[this.pos++];
    return v === undefined ? this.fail() : v;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    return this.fail();
  }

  bytes(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) this.fail();
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function enumIndex<T extends string>(values: readonly T[], v: T): number {
  return Math.max(0, values.indexOf(v));
}

function enumAt<T extends string>(values: readonly T[], i: number): T {
  return values[i] ?? values[0] as T;
}

const HOUR_ARRAYS = ['active', 'prompts', 'answered', 'latencyMinutes'] as const satisfies ReadonlyArray<keyof ChannelHours>;

/** Sparse: a 24-bit mask of the non-zero hours, then their varints (most patients use a few hours). */
function writeHours(w: Writer, h: ChannelHours): void {
  for (const k of HOUR_ARRAYS) {
    let mask = 0;
    for (let i = 0; i < 24; i++) if ((h[k][i] ?? 0) > 0) mask |= 1 << i;
    w.u8(mask & 0xff);
    w.u8((mask >>> 8) & 0xff);
    w.u8((mask >>> 16) & 0xff);
    for (let i = 0; i < 24; i++) if ((mask & (1 << i)) !== 0) w.varint(Math.min(h[k][i] ?? 0, MAX_COUNT));
  }
}

function readHours(r: Reader): ChannelHours {
  const h = { active: [], prompts: [], answered: [], latencyMinutes: [] } as ChannelHours;
  for (const k of HOUR_ARRAYS) {
    const mask = r.u8() | (r.u8() << 8) | (r.u8() << 16);
    for (let i = 0; i < 24; i++) h[k].push((mask & (1 << i)) !== 0 ? r.varint() : 0);
  }
  return h;
}

/** Encodes a profile into its compact bytes. */
export function encodeProfile(p: ProfileFeatures): Uint8Array {
  const w = new Writer();
  w.u8(PROFILE_VERSION);
  w.varint(p.updatedAt);
  w.varint(p.events);
  for (const c of PROFILE_CHANNELS) writeHours(w, p.channels[c]);
  w.varint(p.languages.en);
  w.varint(p.languages.es);
  w.varint(p.dose.lastDay);
  w.bytes(p.dose.dueDays);
  w.bytes(p.dose.takenDays);
  w.bytes(p.dose.missedDays);
  for (let i = 0; i < 7; i++) w.varint(p.dose.missedByWeekday[i] ?? 0);
  for (let i = 0; i < ENGAGEMENT_WEEKS; i++) w.varint(Math.min(p.weeklyMessages[i] ?? 0, MAX_COUNT));
  w.varint(p.lastWeek);
  w.u8(enumIndex(AGE_BANDS, p.demographics.ageBand));
  w.u8(enumIndex(SEXES, p.demographics.sex));
  const zip = /^\d{3}$/.test(p.demographics.zip3) ? p.demographics.zip3 : '';
  w.u8(zip.length);
  for (const ch of zip) w.u8(ch.charCodeAt(0));
  w.u8(p.demographicsRead ? 1 : 0);
  w.varint(p.scores.segment);
  w.u8(Math.round(Math.min(1, Math.max(0, p.scores.risk)) * 255));
  w.u8(enumIndex(RISK_LEVELS, p.scores.riskLevel));
  w.varint(p.scores.scoredDay);
  const prompts = p.recentPrompts.slice(-RECENT_RING);
  w.u8(prompts.length);
  for (const e of prompts) {
    w.varint(e.at);
    w.u8(enumIndex(PROFILE_CHANNELS, e.channel) | (e.answered ? 0x80 : 0));
  }
  const inbound = p.recentInbound.slice(-RECENT_RING);
  w.u8(inbound.length);
  for (const e of inbound) {
    w.varint(e.at);
    w.u8(enumIndex(PROFILE_CHANNELS, e.channel));
  }
  const offsets = PROFILE_TOPICS.map((t, i) => [i, p.offsets[t]] as const).filter(([, o]) => o !== undefined);
  w.u8(offsets.length);
  for (const [i, o] of offsets) {
    w.u8(i);
    w.varint(o ?? 0);
  }
  const seen = p.seen.slice(-SEEN_RING);
  w.u8(seen.length);
  for (const e of seen) {
    w.varint(e.at);
    w.bytes(u32(e.hash));
  }
  return w.done();
}

/** Decodes bytes written by encodeProfile; a newer or corrupt encoding fails with RECORD_INVALID. */
export function decodeProfile(bytes: Uint8Array): ProfileFeatures {
  const r = new Reader(bytes);
  const version = r.u8();
  if (version !== PROFILE_VERSION) throw new CareloopError('RECORD_INVALID', `profile encoding version ${version} is not supported`, { retryable: false });
  const p = emptyProfile();
  p.updatedAt = r.varint();
  p.events = r.varint();
  for (const c of PROFILE_CHANNELS) p.channels[c] = readHours(r);
  p.languages.en = r.varint();
  p.languages.es = r.varint();
  const dayBytes = Math.ceil(DOSE_DAYS / 8);
  p.dose.lastDay = r.varint();
  p.dose.dueDays = r.bytes(dayBytes);
  p.dose.takenDays = r.bytes(dayBytes);
  p.dose.missedDays = r.bytes(dayBytes);
  for (let i = 0; i < 7; i++) p.dose.missedByWeekday[i] = r.varint();
  for (let i = 0; i < ENGAGEMENT_WEEKS; i++) p.weeklyMessages[i] = r.varint();
  p.lastWeek = r.varint();
  p.demographics.ageBand = enumAt(AGE_BANDS, r.u8());
  p.demographics.sex = enumAt(SEXES, r.u8());
  const zipLen = r.u8();
  p.demographics.zip3 = String.fromCharCode(...r.bytes(zipLen));
  p.demographicsRead = r.u8() === 1;
  p.scores.segment = r.varint();
  p.scores.risk = r.u8() / 255;
  p.scores.riskLevel = enumAt(RISK_LEVELS, r.u8());
  p.scores.scoredDay = r.varint();
  const nPrompts = r.u8();
  for (let i = 0; i < nPrompts; i++) {
    const at = r.varint();
    const b = r.u8();
    p.recentPrompts.push({ at, channel: enumAt(PROFILE_CHANNELS, b & 0x7f) as ProfileChannel, answered: (b & 0x80) !== 0 });
  }
  const nInbound = r.u8();
  for (let i = 0; i < nInbound; i++) {
    const at = r.varint();
    p.recentInbound.push({ at, channel: enumAt(PROFILE_CHANNELS, r.u8()) });
  }
  const nOffsets = r.u8();
  for (let i = 0; i < nOffsets; i++) {
    const topic = PROFILE_TOPICS[r.u8()];
    const offset = r.varint();
    if (topic !== undefined) p.offsets[topic] = offset;
  }
  const nSeen = r.u8();
  for (let i = 0; i < nSeen; i++) {
    const at = r.varint();
    const b = r.bytes(4);
    p.seen.push({ at, hash: ((b[0] ?? 0) * 0x1000000) + ((b[1] ?? 0) << 16) + ((b[2] ?? 0) << 8) + (b[3] ?? 0) });
  }
  return p;
}
