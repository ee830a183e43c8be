/*
 * Interpretable segments of one organisation: rules first ("new patients" with too little history,
 * "lapsing" who stopped writing), then seeded k-means over the feature vectors of the rest, each
 * cluster named from its centroid (time of day + how they respond) and described by what sets it
 * apart. Pure and deterministic for the same profiles.
 */
import type { ProfileFeatures } from '../platform/profiles/features.js';
import type { SegmentInfo } from '../platform/profiles/store.js';
import { seededRandom } from '../platform/random/seeded.js';
import { featureVector, VECTOR_NAMES } from './vector.js';

export const RULE_SEGMENTS = [
  { name: 'new patients', description: 'fewer than 10 events or never prompted: too little history to learn from' },
  { name: 'lapsing', description: 'prompted in the last 4 weeks but wrote nothing in them, after writing before' },
] as const;

function dist2(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return s;
}

function nearest(x: readonly number[], centroids: readonly number[][]): number {
  let best = 0;
  for (let c = 1; c < centroids.length; c++) if (dist2(x, centroids[c] as number[]) < dist2(x, centroids[best] as number[])) best = c;
  return best;
}

/** k-means++ seeding then Lloyd iterations, seeded so a recomputation over the same data agrees. */
export function kmeans(xs: readonly number[][], k: number, seed = 13, iterations = 30): { centroids: number[][]; labels: number[] } {
  const rand = seededRandom(seed);
  const centroids: number[][] = [[...(xs[Math.floor(rand() * xs.length)] as number[])]];
  while (centroids.length < Math.min(k, xs.length)) {
    const d = xs.map((x) => Math.min(...centroids.map((c) => dist2(x, c))));
    let r = rand() * d.reduce((s, v) => s + v, 0);
    let i = 0;
    while (i < d.length - 1 && (r -= d[i] ?? 0) > 0) i++;
    centroids.push([...(xs[i] as number[])]);
  }
  let labels = xs.map((x) => nearest(x, centroids));
  for (let it = 0; it < iterations; it++) {
    centroids.forEach((c, ci) => {
      const members = xs.filter((_, i) => labels[i] === ci);
      if (members.length === 0) return;
      for (let j = 0; j < c.length; j++) c[j] = members.reduce((s, m) => s + (m[j] ?? 0), 0) / members.length;
    });
    const next = xs.map((x) => nearest(x, centroids));
    if (next.every((l, i) => l === labels[i])) break;
    labels = next;
  }
  return { centroids, labels };
}

function timeOfDay(sin: number, cos: number): string {
  if (sin === 0 && cos === 0) return 'anytime';
  const hour = ((Math.atan2(sin, cos) * 24) / (2 * Math.PI) + 24) % 24;
  return hour < 5 ? 'night' : hour < 12 ? 'morning' : hour < 17 ? 'afternoon' : hour < 22 ? 'evening' : 'night';
}

const pct = (v: number): string => `${Math.round(v * 100)} %`;

/** Name and description of a cluster from its centroid (raw, not standardised, feature values). */
export function describe(centroid: readonly number[], overall: readonly number[]): { name: string; description: string } {
  const at = (n: (typeof VECTOR_NAMES)[number]): number => centroid[VECTOR_NAMES.indexOf(n)] ?? 0;
  const base = (n: (typeof VECTOR_NAMES)[number]): number => overall[VECTOR_NAMES.indexOf(n)] ?? 0;
  const when = timeOfDay(at('hourSin'), at('hourCos'));
  const response = at('responseRate') >= 0.6 ? 'responders' : at('responseRate') >= 0.35 ? 'occasional responders' : 'quiet';
  const adherence = at('pdc30') < 0.75 ? ', struggling with doses' : '';
  const hour = Math.round((((Math.atan2(at('hourSin'), at('hourCos')) * 24) / (2 * Math.PI)) + 24) % 24);
  return {
    name: `${when} ${response}${adherence}`,
    description: `active around ${String(hour).padStart(2, '0')}:00; answers ${pct(at('responseRate'))} of prompts (all: ${pct(base('responseRate'))}); ` +
      `PDC 30 d ${pct(at('pdc30'))} (all: ${pct(base('pdc30'))}); SMS share ${pct(at('smsShare'))}`,
  };
}

const DAY_MS = 86_400_000;

/** Rule segments on `today` (day number): 1 new, 2 lapsing, 0 neither. */
function ruleSegment(p: ProfileFeatures, today: number): number {
  const prompts = p.channels.WEB.prompts.concat(p.channels.SMS.prompts).reduce((s, v) => s + v, 0);
  if (p.events < 10 || prompts === 0) return 1;
  const lastPrompt = p.recentPrompts[p.recentPrompts.length - 1]?.at ?? 0;
  const promptedRecently = today - Math.floor((lastPrompt * 60_000) / DAY_MS) < 28;
  const wroteBefore = p.weeklyMessages.some((n) => n > 0);
  if (promptedRecently && wroteBefore && Math.floor(today / 7) - p.lastWeek >= 4) return 2;
  return 0;
}

/** A fitted segmentation: the table and what is needed to place any profile in it. */
export interface SegmentModel {
  segments: SegmentInfo[];
  mean: number[];
  sd: number[];
  /** Standardised centroids; cluster c is segment RULE_SEGMENTS.length + 1 + c. */
  centroids: number[][];
}

/** Fits segments on a sample of one organisation's profiles on `today` (day number). */
export function fitSegments(sample: readonly ProfileFeatures[], today: number, k = 4, seed = 13): SegmentModel {
  const rules = sample.map((p) => ruleSegment(p, today));
  const vectors = sample.filter((_, i) => rules[i] === 0).map(featureVector);
  const dims = VECTOR_NAMES.length;
  const n = Math.max(1, vectors.length);
  const mean = Array.from({ length: dims }, (_, j) => vectors.reduce((s, v) => s + (v[j] ?? 0), 0) / n);
  const sd = Array.from({ length: dims }, (_, j) => Math.sqrt(vectors.reduce((s, v) => s + ((v[j] ?? 0) - (mean[j] ?? 0)) ** 2, 0) / n) || 1);
  const z = vectors.map((v) => v.map((x, j) => (x - (mean[j] ?? 0)) / (sd[j] ?? 1)));
  const { centroids, labels } = vectors.length > 0 ? kmeans(z, k, seed) : { centroids: [], labels: [] };
  const segments: SegmentInfo[] = RULE_SEGMENTS.map((r, i) => ({ index: i + 1, name: r.name, description: r.description, size: rules.filter((s) => s === i + 1).length }));
  const names = new Map<string, number>();
  centroids.forEach((c, ci) => {
    const d = describe(c.map((x, j) => x * (sd[j] ?? 1) + (mean[j] ?? 0)), mean);
    const seen = names.get(d.name) ?? 0;
    names.set(d.name, seen + 1);
    segments.push({ index: segments.length + 1, name: seen === 0 ? d.name : `${d.name} ${seen + 1}`, description: d.description, size: labels.filter((l) => l === ci).length });
  });
  return { segments, mean, sd, centroids };
}

/** The segment index of one profile under a fitted model. */
export function assignSegment(m: SegmentModel, p: ProfileFeatures, today: number): number {
  const rule = ruleSegment(p, today);
  if (rule !== 0 || m.centroids.length === 0) return rule === 0 ? 1 : rule;
  const z = featureVector(p).map((x, j) => (x - (m.mean[j] ?? 0)) / (m.sd[j] ?? 1));
  return RULE_SEGMENTS.length + 1 + nearest(z, m.centroids);
}
