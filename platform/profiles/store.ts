/*
 * The profile store: the one meeting point between profiling/ (its only writer) and the dialogue, the
 * reminder engine and delivery (readers). Each profile is a redis-om HASH entity with one field, the
 * compact encoding in base64 (`<prefix>profile:<patientId>`, field `p`); segment tables are one JSON
 * string per organisation (`<prefix>profile-segments:<organizationId>`). No PHI in keys or values.
 */
import { Repository, Schema, type Entity } from 'redis-om';
import type { RedisClient } from '../storage/redis.js';
import { decodeProfile } from './codec.js';
import type { ProfileFeatures, ProfileSummary } from './features.js';
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
}

export interface SegmentTable {
  organizationId: string;
  /** Day number the table was computed on. */
  day: number;
  segments: SegmentInfo[];
}

export interface StoredProfile extends Entity {
  features?: string;
}

function schemaFor(prefix: string): Schema<StoredProfile> {
  return new Schema<StoredProfile>(`${prefix}profile`, { features: { type: 'string', field: 'p' } }, { dataStructure: 'HASH' });
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
    return entities.map((e) => (typeof e.features === 'string' && e.features !== '' ? decodeProfile(Buffer.from(e.features, 'base64')) : null));
  }

  async segments(organizationId: string): Promise<SegmentTable | null> {
    const raw = await this.client.get(this.segmentsKey(organizationId));
    return raw === null ? null : (JSON.parse(raw) as SegmentTable);
  }

  /** The profile with its summary, as the dialogue and reminder engine use it; null when unknown. */
  async view(organizationId: string, patientId: string): Promise<PatientProfileView | null> {
    const [features, table] = await Promise.all([this.get(patientId), this.segments(organizationId)]);
    if (features === null) return null;
    const name = table?.segments.find((s) => s.index === features.scores.segment)?.name ?? '';
    return { features, summary: summarize(features, name) };
  }
}
