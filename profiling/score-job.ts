/*
 * The daily scoring job: for each organisation, fit segments on a sample of its profiles, then page
 * through every patient and write segment and risk into the scores field; the segment table goes to
 * the store. Reads patient ids from PostgreSQL (who belongs to which organisation), profiles from Redis.
 */
import type { ProfileFeatures, Scores } from '../platform/profiles/features.js';
import { PROFILE_CHANNELS } from '../platform/profiles/features.js';
import type { SegmentHours } from '../platform/profiles/store.js';
import type { ProfileWriter } from '../platform/profiles/writer.js';
import type { PgPool } from '../platform/storage/postgres.js';
import { predict, riskLevel, type RiskModel } from './risk.js';
import { assignSegment, fitSegments } from './segments.js';
import { featureVector } from './vector.js';

const DAY_MS = 86_400_000;
const PAGE = 2000;
/** Profiles the clustering is fitted on; the rest are assigned to the nearest centroid. */
const SAMPLE = 50_000;

export interface ScoreJobResult {
  organizations: number;
  scored: number;
}

async function* patientPages(pool: PgPool, organizationId: string): AsyncGenerator<string[]> {
  let after = '';
  for (;;) {
    const { rows } = await pool.query<{ id: string }>(
      `SELECT id FROM patients WHERE organization_id = $1 AND status = 'active' AND id > $2 ORDER BY id LIMIT ${PAGE}`, [organizationId, after]);
    if (rows.length === 0) return;
    yield rows.map((r) => r.id);
    after = rows[rows.length - 1]?.id ?? after;
  }
}

const emptyHours = (): SegmentHours => ({ prompts: new Array<number>(24).fill(0), answered: new Array<number>(24).fill(0) });

/** Adds a profile's prompts and answers per local hour (all channels) into a segment's sums. */
export function poolHours(into: SegmentHours, p: ProfileFeatures): void {
  for (const c of PROFILE_CHANNELS) {
    const ch = p.channels[c];
    for (let h = 0; h < 24; h++) {
      into.prompts[h] = (into.prompts[h] ?? 0) + (ch.prompts[h] ?? 0);
      into.answered[h] = (into.answered[h] ?? 0) + Math.min(ch.prompts[h] ?? 0, ch.answered[h] ?? 0);
    }
  }
}

/** Quantised as the store keeps it, so what is written reads back equal. */
export function scoreOf(model: RiskModel, p: ProfileFeatures, segment: number, today: number): Scores {
  const risk = Math.round(predict(model, featureVector(p)) * 255) / 255;
  return { segment, risk, riskLevel: riskLevel(model, risk), scoredDay: today };
}

export async function scoreOrganization(pool: PgPool, writer: ProfileWriter, model: RiskModel, organizationId: string, now: number): Promise<number> {
  const today = Math.floor(now / DAY_MS);
  const sample: ProfileFeatures[] = [];
  for await (const ids of patientPages(pool, organizationId)) {
    for (const p of await writer.getMany(ids)) if (p !== null && sample.length < SAMPLE) sample.push(p);
    if (sample.length >= SAMPLE) break;
  }
  const fitted = fitSegments(sample, today);
  let scored = 0;
  const sizes = new Map<number, number>();
  const hours = new Map<number, SegmentHours>();
  const all = emptyHours();
  for await (const ids of patientPages(pool, organizationId)) {
    const profiles = await writer.getMany(ids);
    const scores = new Map<string, Scores>();
    profiles.forEach((p, i) => {
      if (p === null) return;
      const segment = assignSegment(fitted, p, today);
      sizes.set(segment, (sizes.get(segment) ?? 0) + 1);
      if (!hours.has(segment)) hours.set(segment, emptyHours());
      poolHours(hours.get(segment) as SegmentHours, p);
      poolHours(all, p);
      scores.set(ids[i] as string, scoreOf(model, p, segment, today));
    });
    await writer.saveScores(scores);
    scored += scores.size;
  }
  const segments = fitted.segments.map((s) => ({ ...s, size: sizes.get(s.index) ?? 0, hours: hours.get(s.index) ?? emptyHours() }));
  await writer.saveSegments({ organizationId, day: today, segments, hours: all });
  return scored;
}

export async function scoreAll(pool: PgPool, writer: ProfileWriter, model: RiskModel, now: number): Promise<ScoreJobResult> {
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM organizations ORDER BY id');
  let scored = 0;
  for (const { id } of rows) scored += await scoreOrganization(pool, writer, model, id, now);
  return { organizations: rows.length, scored };
}
