/*
 * The profile store: the one meeting point between profiling/ (its only writer) and the dialogue, the
 * reminder engine and delivery (readers). Each profile is a redis-om HASH entity
 * (`<prefix>profile:<patientId>`) holding the compact encoding in base64, cut into fields `a`, `b`, …
 * of at most 64 characters each: under hash-max-listpack-value, so Redis keeps the hash in its compact
 * listpack form; field `s` holds the daily scores, written apart so the two writers never overwrite
 * each other; field `v` a version the consumer compares and moves on every write. Segment tables are one JSON string per organisation
 * (`<prefix>profile-segments:<organizationId>`). No PHI in keys or values.
 */
import { Repository, Schema, type Entity } from 'redis-om';
import type { RedisClient } from '../storage/redis.js';
import { CareloopError } from '../errors.js';
import { decodeProfile } from './codec.js';
import { RISK_LEVELS, type ProfileFeatures, type ProfileSummary, type Scores } from './features.js';
import { summarize } from './summary.js';

/** One segment of an organisation's table; index 0 is reserved for "not assigned yet". */
export interface SegmentInfo {
  /** 1-based index stored in profiles. */
  index: number;
  /** Lower-case, workflow-facing name: `if segment is "evening responders"`. */
  name: string;
  /** What distinguishes it, in words, for the care team (no PHI: feature names and figures). */
  description: string;
  size: number;
  /** Its members' proactive messages and those answered within 4 h, summed per local hour 0…23 over channels (the send-time prior); absent in tables written before. */
  hours?: SegmentHours;
}

/** Summed hour counts: counts only, no patient in them. */
export interface SegmentHours { prompts: number[]; answered: number[] }

export interface SegmentTable {
  organizationId: string;
  /** Day number the table was computed on. */
  day: number;
  segments: SegmentInfo[];
  /** Every scored patient's hour counts summed (the prior of a patient with no segment yet). */
  hours?: SegmentHours;
}

/** Base64 characters per hash field (Redis's default hash-max-listpack-value). */
export const PART_CHARS = 64;
/** Field names of the parts; 20 × 64 characters hold 960 bytes, above the encoding's maximum. */
export const PART_FIELDS = 'abcdefghijklmnopqrst'.split('');

export type StoredProfile = Entity & Partial<Record<string, string>>;

/** The version the consumer compares and moves on each write (optimistic concurrency between writers). */
export const VERSION_FIELD = 'v';

/** The field the daily scoring job writes (segment, risk, level, day), apart from the parts the consumer writes. */
export const SCORES_FIELD = 's';

function schemaFor(prefix: string): Schema<StoredProfile> {
  const fields = [...PART_FIELDS, SCORES_FIELD, VERSION_FIELD].map((f) => [f, { type: 'string' as const }]);
  return new Schema<StoredProfile>(`${prefix}profile`, Object.fromEntries(fields), { dataStructure: 'HASH' });
}

export function scoresToField(s: Scores): string {
  return [s.segment, Math.round(Math.min(1, Math.max(0, s.risk)) * 255), RISK_LEVELS.indexOf(s.riskLevel), s.scoredDay].join('.');
}

function scoresFromField(v: string): Scores | null {
  const [segment, risk, level, day] = v.split('.').map(Number);
  if (segment === undefined || risk === undefined || level === undefined || day === undefined || [segment, risk, level, day].some((n) => !Number.isInteger(n))) return null;
  return { segment, risk: risk / 255, riskLevel: RISK_LEVELS[level] ?? 'unknown', scoredDay: day };
}

/** The hash fields of an encoded profile. */
export function toParts(encoded: Uint8Array): Record<string, string> {
  const b64 = Buffer.from(encoded).toString('base64');
  const parts: Record<string, string> = {};
  if (b64.length > PART_FIELDS.length * PART_CHARS) throw new CareloopError('INTERNAL', `profile encoding of ${encoded.length} bytes exceeds the store's parts`);
  for (let i = 0; i * PART_CHARS < b64.length; i++) parts[PART_FIELDS[i] as string] = b64.slice(i * PART_CHARS, (i + 1) * PART_CHARS);
  return parts;
}

export function fromParts(e: Partial<Record<string, unknown>>): Uint8Array | null {
  let b64 = '';
  for (const f of PART_FIELDS) {
    const v = e[f];
    if (typeof v !== 'string') break;
    b64 += v;
  }
  return b64 === '' ? null : Buffer.from(b64, 'base64');
}

/** The key prefix of the store in a deployment: Redis's, then the run's topic prefix (tests keep apart by it). */
export function profileKeyPrefix(cfg: { redis: { keyPrefix: string }; kafka: { topicPrefix: string } }): string {
  return cfg.redis.keyPrefix + cfg.kafka.topicPrefix;
}

/** What readers get: features and their summary (with the segment's name resolved). */
export interface PatientProfileView {
  features: ProfileFeatures;
  summary: ProfileSummary;
}

/** Read access, for every service but profiling/. */
export class ProfileStore {
  protected readonly repo: Repository<StoredProfile>;

  constructor(protected readonly client: RedisClient, protected readonly prefix = '') {
    this.repo = new Repository(schemaFor(prefix), client as never);
  }

  /** The Redis key of a patient's profile (redis-om's `<schema name>:<id>`). */
  keyOf(patientId: string): string {
    return `${this.prefix}profile:${patientId}`;
  }

  protected segmentsKey(organizationId: string): string {
    return `${this.prefix}profile-segments:${organizationId}`;
  }

  /** The stored features, or null for a patient with no profile yet. */
  async get(patientId: string): Promise<ProfileFeatures | null> {
    const [p] = await this.getMany([patientId]);
    return p ?? null;
  }

  /** Features of many patients in one round of pipelined reads; null where there is none. */
  async getMany(patientIds: readonly string[]): Promise<Array<ProfileFeatures | null>> {
    if (patientIds.length === 0) return [];
    const entities = await this.repo.fetch([...patientIds]);
    return entities.map((e) => {
      const bytes = fromParts(e);
      return bytes === null ? null : this.withScores(decodeProfile(bytes), e[SCORES_FIELD]);
    });
  }

  /** The scoring job's field wins: the consumer's copy of the scores may be a day old. */
  protected withScores(p: ProfileFeatures, field: unknown): ProfileFeatures {
    const scores = typeof field === 'string' ? scoresFromField(field) : null;
    if (scores !== null) p.scores = scores;
    return p;
  }

  async segments(organizationId: string): Promise<SegmentTable | null> {
    const raw = await this.client.get(this.segmentsKey(organizationId));
    return raw === null ? null : (JSON.parse(raw) as SegmentTable);
  }

  /**
   * The hour counts a patient's send times lean on while their own evidence is thin: their segment's
   * pooled counts, else the organisation's (a patient with no segment yet); null with no table.
   */
  segmentHours(table: SegmentTable | null, segment: number): SegmentHours | null {
    if (table === null) return null;
    return table.segments.find((s) => s.index === segment)?.hours ?? table.hours ?? null;
  }

  /** The profile with its summary, as the dialogue and reminder engine use it; null when unknown. */
  async view(organizationId: string, patientId: string): Promise<PatientProfileView | null> {
    const [features, table] = await Promise.all([this.get(patientId), this.segments(organizationId)]);
    if (features === null) return null;
    const name = table?.segments.find((s) => s.index === features.scores.segment)?.name ?? '';
    return { features, summary: summarize(features, name) };
  }
}
