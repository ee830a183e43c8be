/*
 * What a workflow sees of the behavioural profile (`if segment is "evening responders"`,
 * `if risk is high`, `adherence_30d < 80%`): the summary turned into the workflow's profile fields,
 * and the organisation's segment names added to a catalog so the checker can refuse a misspelt one.
 * Pure.
 */
import type { Catalog } from '../workflow/catalog.js';
import type { SegmentTable } from './store.js';
import type { ProfileSummary } from './features.js';

export type WorkflowProfile = Record<string, string | number | boolean | null>;

/** The workflow profile fields of a summary; an unknown patient gets risk 'unknown' and segment ''. */
export function workflowProfile(summary: ProfileSummary | null): WorkflowProfile {
  if (summary === null) return { segment: '', risk: 'unknown', risk_score: null, adherence_30d: null, streak_days: 0 };
  return {
    segment: summary.segment,
    risk: summary.risk,
    risk_score: summary.risk === 'unknown' ? null : summary.riskScore,
    adherence_30d: summary.pdc30,
    pdc_7d: summary.pdc7,
    pdc_90d: summary.pdc90,
    streak_days: summary.currentStreak,
    response_rate: summary.responseRate,
    preferred_channel: summary.preferredChannel,
    peak_hour: summary.peakHour,
    age_band: summary.ageBand,
  };
}

/** The catalog with the organisation's current segment names as the values `segment` may be compared with. */
export function catalogWithSegments(catalog: Catalog, table: SegmentTable | null): Catalog {
  if (table === null || table.segments.length === 0) return catalog;
  return { ...catalog, profileValues: { ...catalog.profileValues, segment: table.segments.map((s) => s.name) } };
}
