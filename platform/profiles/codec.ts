/*
 * The compact encoding of a profile: unsigned LEB128 varints for counts (most are small), sparse hour
 * arrays, fixed bytes for bitmaps and bands. Typically 250-350 bytes; at most about 800 (every count
 * saturated, every ring full).
 */
import { CareloopError } from '../errors.js';
import {
  AGE_BANDS, DOSE_DAYS, ENGAGEMENT_WEEKS, PROFILE_CHANNELS, PROFILE_TOPICS, PROFILE_VERSION, RISK_LEVELS, SEXES,
  type ChannelHours, type ProfileChannel, type ProfileFeatures,
} from './features.js';

/** Recent-event rings kept for answer pairing; bounded so the encoding stays small. */
export const RECENT_RING = 16;
/** Event-id hashes kept for redelivery checks. */
export const SEEN_RING = 8;
/** Counts saturate here (two varint bytes); profiling/ halves a channel's counts before they reach it. */
export const MAX_COUNT = 0x3fff;

class Writer {
  private buf = new Uint8Array(1024);
  private len = 0;

  reset(): this {
    this.len = 0;
    return this;
  }

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

  base64(): string {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.len).toString('base64');
  }
}

// One scratch buffer reused by every encode (encoding is synchronous): a fresh 1 KB ArrayBuffer per
// profile lives outside the heap and drives full garbage collections at 20,000 profiles/s.
const scratch = new Writer();

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
    // Small typed arrays made by length live on the heap; copying beats slice's new ArrayBuffer.
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.buf[this.pos + i] as number;
    this.pos += n;
    return out;
  }

  array(n: number): number[] {
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.varint();
    return out;
  }
}

function enumIndex<T extends string>(values: readonly T[], v: T): number {
  return Math.max(0, values.indexOf(v));
}

function enumAt<T extends string>(values: readonly T[], i: number): T {
  return values[i] ?? values[0] as T;
}

/** Sparse: a 24-bit mask of the non-zero hours, then their varints (most patients use a few hours). */
function writeHourArray(w: Writer, a: readonly number[]): void {
  let mask = 0;
  for (let i = 0; i < 24; i++) if ((a[i] ?? 0) > 0) mask |= 1 << i;
  w.u8(mask & 0xff);
  w.u8((mask >>> 8) & 0xff);
  w.u8((mask >>> 16) & 0xff);
  for (let i = 0; i < 24; i++) if ((mask & (1 << i)) !== 0) w.varint(Math.min(a[i] ?? 0, MAX_COUNT));
}

function writeHours(w: Writer, h: ChannelHours): void {
  // Always in this order: active, prompts, answered, latencyMinutes.
  writeHourArray(w, h.active);
  writeHourArray(w, h.prompts);
  writeHourArray(w, h.answered);
  writeHourArray(w, h.latencyMinutes);
}

function readHourArray(r: Reader): number[] {
  const mask = r.u8() | (r.u8() << 8) | (r.u8() << 16);
  const out = new Array<number>(24);
  for (let i = 0; i < 24; i++) out[i] = (mask & (1 << i)) !== 0 ? r.varint() : 0;
  return out;
}

function readHours(r: Reader): ChannelHours {
  // Always in this order: active, prompts, answered, latencyMinutes.
  const active = readHourArray(r);
  const prompts = readHourArray(r);
  const answered = readHourArray(r);
  return { active, prompts, answered, latencyMinutes: readHourArray(r) };
}

/** Encodes a profile into its compact bytes. */
export function encodeProfile(p: ProfileFeatures): Uint8Array {
  return write(scratch.reset(), p).done();
}

/** The compact bytes in base64, as the store keeps them (no intermediate copy). */
export function encodeProfileBase64(p: ProfileFeatures): string {
  return write(scratch.reset(), p).base64();
}

function write(w: Writer, p: ProfileFeatures): Writer {
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
  let nOffsets = 0;
  for (const t of PROFILE_TOPICS) if (p.offsets[t] !== undefined) nOffsets++;
  w.u8(nOffsets);
  PROFILE_TOPICS.forEach((t, i) => {
    const o = p.offsets[t];
    if (o === undefined) return;
    w.u8(i);
    w.varint(o);
  });
  const seen = p.seen.slice(-SEEN_RING);
  w.u8(seen.length);
  for (const e of seen) {
    w.varint(e.at);
    w.u8(e.hash >>> 24);
    w.u8(e.hash >>> 16);
    w.u8(e.hash >>> 8);
    w.u8(e.hash);
  }
  return w;
}

/** Decodes bytes written by encodeProfile; a newer or corrupt encoding fails with RECORD_INVALID. */
export function decodeProfile(bytes: Uint8Array): ProfileFeatures {
  const r = new Reader(bytes);
  const version = r.u8();
  if (version !== PROFILE_VERSION) throw new CareloopError('RECORD_INVALID', `profile encoding version ${version} is not supported`, { retryable: false });
  // Built in one literal, in the encoding's order (no empty profile made and thrown away).
  const updatedAt = r.varint();
  const events = r.varint();
  const web = readHours(r);
  const channels = { WEB: web, SMS: readHours(r) };
  const en = r.varint();
  const languages = { en, es: r.varint() };
  const dayBytes = Math.ceil(DOSE_DAYS / 8);
  const lastDay = r.varint();
  const dueDays = r.bytes(dayBytes);
  const takenDays = r.bytes(dayBytes);
  const missedDays = r.bytes(dayBytes);
  const dose = { lastDay, dueDays, takenDays, missedDays, missedByWeekday: r.array(7) };
  const weeklyMessages = r.array(ENGAGEMENT_WEEKS);
  const lastWeek = r.varint();
  const ageBand = enumAt(AGE_BANDS, r.u8());
  const sex = enumAt(SEXES, r.u8());
  let zip3 = '';
  for (let n = r.u8(); n > 0; n--) zip3 += String.fromCharCode(r.u8());
  const demographicsRead = r.u8() === 1;
  const segment = r.varint();
  const risk = r.u8() / 255;
  const riskLevel = enumAt(RISK_LEVELS, r.u8());
  const scores = { segment, risk, riskLevel, scoredDay: r.varint() };
  const recentPrompts: ProfileFeatures['recentPrompts'] = [];
  for (let n = r.u8(); n > 0; n--) {
    const at = r.varint();
    const b = r.u8();
    recentPrompts.push({ at, channel: enumAt(PROFILE_CHANNELS, b & 0x7f) as ProfileChannel, answered: (b & 0x80) !== 0 });
  }
  const recentInbound: ProfileFeatures['recentInbound'] = [];
  for (let n = r.u8(); n > 0; n--) {
    const at = r.varint();
    recentInbound.push({ at, channel: enumAt(PROFILE_CHANNELS, r.u8()) });
  }
  const offsets: ProfileFeatures['offsets'] = {};
  for (let n = r.u8(); n > 0; n--) {
    const topic = PROFILE_TOPICS[r.u8()];
    const offset = r.varint();
    if (topic !== undefined) offsets[topic] = offset;
  }
  const seen: ProfileFeatures['seen'] = [];
  for (let n = r.u8(); n > 0; n--) {
    const at = r.varint();
    seen.push({ at, hash: (r.u8() * 0x1000000) + (r.u8() << 16) + (r.u8() << 8) + r.u8() });
  }
  return {
    version: PROFILE_VERSION, updatedAt, events, channels, languages, dose, weeklyMessages, lastWeek,
    demographics: { ageBand, sex, zip3 }, demographicsRead, scores, recentPrompts, recentInbound, offsets, seen,
  };
}
