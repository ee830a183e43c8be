/*
 * A campaign's partner report from already-loaded facts: aggregates only, small cells suppressed with
 * complementary suppression, ISO weeks as the finest time, no text about any patient. Pure: no I/O,
 * no clock; the same facts give the same report.
 */
import { MIN_CELL_SIZE, meanCi, round3, single, suppressGrid, welch, withMargins, type Cell, type MeanCi } from './suppression.js';

const DAY = 86_400_000;

/** The ISO week (`YYYY-Www`) of an instant, in UTC. */
export function isoWeek(ms: number): string {
  const d = new Date(Math.floor(ms / DAY) * DAY);
  const weekday = (d.getUTCDay() + 6) % 7; // Monday 0
  const thursday = new Date(d.getTime() + (3 - weekday) * DAY);
  const year = thursday.getUTCFullYear();
  const jan4 = Date.UTC(year, 0, 4);
  const week1Monday = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY;
  const week = Math.floor((thursday.getTime() - week1Monday) / (7 * DAY)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Monday 00:00 UTC of the week holding `ms`. */
export function weekStart(ms: number): number {
  const day = Math.floor(ms / DAY) * DAY;
  return day - ((new Date(day).getUTCDay() + 6) % 7) * DAY;
}

/** A `YYYY-MM-DD` day as its UTC midnight. */
export function dayMs(day: string): number {
  return Date.parse(`${day}T00:00:00.000Z`);
}

/** The ISO weeks from one day to another, both included, in order. */
export function weeksBetween(from: number, to: number): string[] {
  const weeks: string[] = [];
  for (let t = weekStart(from); t <= to; t += 7 * DAY) weeks.push(isoWeek(t));
  return weeks;
}

export interface ReportCampaign {
  id: string;
  name: string;
  purpose: string;
  periodFrom: string;
  periodTo: string;
}

/** When the report is computed as of: the period's end, or (before it) the start of the current week. */
export function reportAsOf(campaign: Pick<ReportCampaign, 'periodTo'>, now: number): { asOf: number; provisional: boolean } {
  const end = dayMs(campaign.periodTo) + DAY;
  return now >= end ? { asOf: end, provisional: false } : { asOf: weekStart(now), provisional: true };
}

/** Pre and post PDC of one patient (fractions 0–1). */
export interface PdcPair {
  pre: number;
  post: number;
}

export interface ReportFacts {
  campaign: ReportCampaign;
  asOf: number;
  provisional: boolean;
  /** Each reached patient once, with when the programme's start was sent (before asOf). */
  sends: ReadonlyArray<{ patientId: string; sentAt: number }>;
  /** Reached patients who wrote in the chat after their send and before asOf. */
  responded: ReadonlySet<string>;
  /** PDC pre and post of the reached patients who have both. */
  campaignPdc: readonly PdcPair[];
  /** PDC pre and post of the matched non-campaign cohort (same cohort rules, not reached). */
  comparisonPdc: readonly PdcPair[];
}

export interface WeekRow {
  week: string;
  sent: Cell;
  responded: Cell;
  notResponded: Cell;
}

export interface AdherenceGroup {
  patients: Cell;
  pre: number | null;
  post: number | null;
  change: number | null;
  ci95: [number, number] | null;
}

export interface CampaignReport {
  campaignId: string;
  name: string;
  purpose: string;
  period: { from: string; to: string };
  asOf: string;
  provisional: boolean;
  generatedFrom: { from: string; to: string };
  minCellSize: number;
  reach: Cell;
  engagement: { responded: Cell; notResponded: Cell; responseRate: number | null };
  adherence: AdherenceGroup & {
    metric: 'pdc';
    comparison: AdherenceGroup & { kind: 'matched_non_campaign' };
    difference: { value: number | null; ci95: [number, number] | null };
  };
  byWeek: WeekRow[];
  totals: { sent: Cell; responded: Cell; notResponded: Cell };
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

const ci3 = (ci: [number, number]): [number, number] => [round3(ci[0]), round3(ci[1])];

function group(pairs: readonly PdcPair[], patients: Cell): { out: AdherenceGroup; change: MeanCi | null } {
  if (pairs.length < MIN_CELL_SIZE) return { out: { patients, pre: null, post: null, change: null, ci95: null }, change: null };
  const change = meanCi(pairs.map((p) => p.post - p.pre));
  return {
    out: {
      patients, pre: round3(mean(pairs.map((p) => p.pre))), post: round3(mean(pairs.map((p) => p.post))),
      change: change === null ? null : round3(change.mean), ci95: change === null ? null : ci3(change.ci95),
    },
    change,
  };
}

/** The report: counts of patients per ISO week of the period, engagement and PDC change, suppressed. */
export function buildReport(f: ReportFacts): CampaignReport {
  const from = dayMs(f.campaign.periodFrom);
  const to = dayMs(f.campaign.periodTo);
  const weeks = weeksBetween(from, to);
  const interior = weeks.map(() => [0, 0]);
  for (const s of f.sends) {
    const i = weeks.indexOf(isoWeek(s.sentAt));
    if (i < 0 || s.sentAt >= f.asOf) continue;
    const row = interior[i] as [number, number];
    if (f.responded.has(s.patientId)) row[0]++;
    else row[1]++;
  }
  const grid = withMargins(interior, 2);
  const cells = suppressGrid(grid);
  const byWeek = weeks.map((week, i) => {
    const r = cells[i] as Cell[];
    return { week, responded: r[0] as Cell, notResponded: r[1] as Cell, sent: r[2] as Cell };
  });
  const t = cells[weeks.length] as Cell[];
  const totals = { responded: t[0] as Cell, notResponded: t[1] as Cell, sent: t[2] as Cell };
  const reached = grid[weeks.length]?.[2] ?? 0;
  // The reached patients without PDC data are a count too: hide the group size when they are 1–10.
  const missing = reached - f.campaignPdc.length;
  const patients = single(f.campaignPdc.length);
  const campaignPatients = patients.suppressed || (missing > 0 && missing < MIN_CELL_SIZE) || totals.sent.suppressed ? { value: null, suppressed: true } : patients;
  const campaign = group(f.campaignPdc, campaignPatients);
  const comparison = group(f.comparisonPdc, single(f.comparisonPdc.length));
  const difference = campaign.change !== null && comparison.change !== null ? welch(campaign.change, comparison.change) : null;
  const rate = totals.responded.value !== null && totals.sent.value !== null && totals.sent.value > 0 ? round3(totals.responded.value / totals.sent.value) : null;
  const preFrom = from - (to - from + DAY);
  return {
    campaignId: f.campaign.id, name: f.campaign.name, purpose: f.campaign.purpose,
    period: { from: isoWeek(from), to: isoWeek(to) },
    asOf: isoWeek(f.asOf - 1), provisional: f.provisional,
    generatedFrom: { from: isoWeek(preFrom), to: isoWeek(f.asOf - 1) },
    minCellSize: MIN_CELL_SIZE,
    reach: totals.sent,
    engagement: { responded: totals.responded, notResponded: totals.notResponded, responseRate: rate },
    adherence: {
      metric: 'pdc', ...campaign.out,
      comparison: { kind: 'matched_non_campaign', ...comparison.out },
      difference: difference === null ? { value: null, ci95: null } : { value: round3(difference.value), ci95: ci3(difference.ci95) },
    },
    byWeek, totals,
  };
}

/** Every cell of the report, in order: what the CSV holds, one line each. */
export function reportLines(r: CampaignReport): Array<{ section: string; week: string; measure: string; value: number | null; suppressed: boolean }> {
  const cell = (section: string, week: string, measure: string, c: Cell): ReturnType<typeof reportLines>[number] => ({ section, week, measure, value: c.value, suppressed: c.suppressed });
  const num = (section: string, measure: string, v: number | null): ReturnType<typeof reportLines>[number] => ({ section, week: '', measure, value: v, suppressed: false });
  const a = r.adherence;
  return [
    cell('reach', '', 'patients', r.reach),
    cell('engagement', '', 'responded', r.engagement.responded),
    cell('engagement', '', 'not_responded', r.engagement.notResponded),
    num('engagement', 'response_rate', r.engagement.responseRate),
    cell('adherence', '', 'patients', a.patients),
    num('adherence', 'pdc_pre', a.pre), num('adherence', 'pdc_post', a.post), num('adherence', 'pdc_change', a.change),
    num('adherence', 'pdc_change_ci95_low', a.ci95?.[0] ?? null), num('adherence', 'pdc_change_ci95_high', a.ci95?.[1] ?? null),
    cell('comparison', '', 'patients', a.comparison.patients),
    num('comparison', 'pdc_pre', a.comparison.pre), num('comparison', 'pdc_post', a.comparison.post), num('comparison', 'pdc_change', a.comparison.change),
    num('comparison', 'pdc_change_ci95_low', a.comparison.ci95?.[0] ?? null), num('comparison', 'pdc_change_ci95_high', a.comparison.ci95?.[1] ?? null),
    num('difference', 'pdc_change_difference', a.difference.value),
    num('difference', 'ci95_low', a.difference.ci95?.[0] ?? null), num('difference', 'ci95_high', a.difference.ci95?.[1] ?? null),
    ...r.byWeek.flatMap((w) => [cell('byWeek', w.week, 'sent', w.sent), cell('byWeek', w.week, 'responded', w.responded), cell('byWeek', w.week, 'not_responded', w.notResponded)]),
    cell('totals', '', 'sent', r.totals.sent), cell('totals', '', 'responded', r.totals.responded), cell('totals', '', 'not_responded', r.totals.notResponded),
  ];
}

/** The report as CSV: a header line, then one line per cell; suppressed values are empty. */
export function reportCsv(r: CampaignReport): string {
  const lines = reportLines(r).map((l) => [l.section, l.week, l.measure, l.value === null ? '' : String(l.value), l.suppressed ? 'true' : 'false'].join(','));
  return ['section,week,measure,value,suppressed', ...lines].join('\n') + '\n';
}
