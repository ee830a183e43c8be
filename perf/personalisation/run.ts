/*
 * The personalisation simulator's report: every policy of TRAITS.md over several seeds, paired by
 * seed (the same population for each policy), with 95 % intervals over seeds. Writes the figures to
 * perf/personalisation/results.json and prints a markdown table.
 *
 *   node dist/perf/personalisation/run.js --patients 10000 --days 90 --seeds 5
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../../platform/paths.js';
import { POLICIES, type Policy } from './policies.js';
import { simulate, stream, type RunResult } from './simulate.js';
import { tInterval, type Interval } from './stats.js';
import { drawPopulation } from './traits.js';
import { handleHelp } from '../usage.js';

handleHelp(`Usage: node dist/perf/personalisation/run.js [--patients N] [--days D] [--seeds K] [--first-seed S] [--out FILE]

The personalisation simulator's report: draws a synthetic population per seed (traits.ts, as
TRAITS.md specifies), runs every policy of policies.ts on it for D days (one dose reminder a patient
a day, answered per the hidden traits), pairs the policies by seed and prints markdown tables with
95 % intervals over seeds: response rate, doses per patient-day, sends near the hidden peak,
relative lifts, weekly response by cohort. 10,000 patients, 90 days, 5 seeds take about 4 minutes.

  --patients N     patients per population (default 10000)
  --days D         simulated days (default 90)
  --seeds K        seeds, one population each (default 5)
  --first-seed S   the first seed; the others follow it (default 1)
  --out FILE       the JSON figures (default perf/personalisation/results.json)

Needs nothing running (pure computation in this process); progress per seed on stderr.
Writes FILE, overwriting it.
Exit status 0; 1 on an error or an unknown flag.`);

const { values } = parseArgs({ options: {
  patients: { type: 'string', default: '10000' }, days: { type: 'string', default: '90' },
  seeds: { type: 'string', default: '5' }, 'first-seed': { type: 'string', default: '1' }, out: { type: 'string' },
} });
const patients = Number(values.patients);
const days = Number(values.days);
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => Number(values['first-seed']) + i);
const policies: readonly Policy[] = POLICIES;
const LEARNERS = ['personalised', 'personalised-anchored', 'time-only', 'variants-only', 'personalised-fresh'];

const perSeed: Array<Record<string, RunResult>> = [];
const started = Date.now();
for (const seed of seeds) {
  const population = drawPopulation(stream(seed, 'population'), patients);
  const row: Record<string, RunResult> = {};
  for (const p of policies) row[p.name] = simulate(population, p, seed, days);
  perSeed.push(row);
  console.error(`seed ${seed} done (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

const rate = (r: RunResult): number => r.answers / r.sends;
const doses = (r: RunResult): number => r.doses / r.patientDays;
const of = (name: string, f: (r: RunResult) => number): number[] => perSeed.map((s) => f(s[name]!));
const paired = (a: string, b: string, f: (r: RunResult) => number, relative: boolean): Interval =>
  tInterval(perSeed.map((s) => (relative ? f(s[a]!) / f(s[b]!) - 1 : f(s[a]!) - f(s[b]!))));
const weekly = (name: string, cohort: 'day0' | 'day60'): number[] => {
  const w = perSeed[0]![name]!.weekly[cohort].sends.length;
  return Array.from({ length: w }, (_, k) => {
    const sends = perSeed.reduce((s, r) => s + (r[name]!.weekly[cohort].sends[k] ?? 0), 0);
    const answers = perSeed.reduce((s, r) => s + (r[name]!.weekly[cohort].answers[k] ?? 0), 0);
    return sends === 0 ? NaN : answers / sends;
  }).filter((x) => !Number.isNaN(x));
};

const report = {
  measuredAt: new Date().toISOString(), patients, days, seeds, seconds: (Date.now() - started) / 1000,
  policies: Object.fromEntries(policies.map((p) => [p.name, {
    responseRate: tInterval(of(p.name, rate)), dosesPerDay: tInterval(of(p.name, doses)),
    nearPeakShare: tInterval(of(p.name, (r) => r.nearPeak / r.sends)), minPropensity: Math.min(...of(p.name, (r) => r.minPropensity)),
    weeklyResponse: { day0: weekly(p.name, 'day0'), day60: weekly(p.name, 'day60') },
  }])),
  comparisons: Object.fromEntries(['fixed-09', 'fixed-stated'].flatMap((base) => LEARNERS.map((p) => [`${p} vs ${base}`, {
    responseRateRelativeLift: paired(p, base, rate, true), responseRateDifference: paired(p, base, rate, false),
    dosesPerDayRelativeLift: paired(p, base, doses, true), dosesPerDayDifference: paired(p, base, doses, false),
  }]))),
  perSeed: perSeed.map((s) => Object.fromEntries(Object.entries(s).map(([k, r]) => [k, { sends: r.sends, answers: r.answers, doses: r.doses, patientDays: r.patientDays }]))),
};
writeFileSync(values.out ?? join(repoRoot(), 'perf/personalisation/results.json'), `${JSON.stringify(report, null, 2)}\n`);

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
const ci = (i: Interval, f: (x: number) => string): string => `${f(i.mean)} (${f(i.low)} … ${f(i.high)})`;
console.log(`| policy | response rate | doses taken per patient-day | sends within 1 h of the peak |\n|---|---|---|---|`);
for (const p of policies) {
  const r = report.policies[p.name]!;
  console.log(`| ${p.name} | ${ci(r.responseRate, pct)} | ${ci(r.dosesPerDay, pct)} | ${ci(r.nearPeakShare, pct)} |`);
}
console.log(`\n| comparison | response rate, relative lift | doses taken, difference (points) | doses taken, relative lift |\n|---|---|---|---|`);
for (const [name, c] of Object.entries(report.comparisons)) {
  console.log(`| ${name} | ${ci(c.responseRateRelativeLift, pct)} | ${ci(c.dosesPerDayDifference, pct)} | ${ci(c.dosesPerDayRelativeLift, pct)} |`);
}
const curve = (xs: number[]): string => xs.map((x) => (100 * x).toFixed(0)).join(' ');
console.log('\n| policy | weekly response rate (%), joined day 0, weeks 1-13 | joined day 60, weeks 1-5 |\n|---|---|---|');
for (const p of policies) {
  const w = report.policies[p.name]!.weeklyResponse;
  console.log(`| ${p.name} | ${curve(w.day0)} | ${curve(w.day60)} |`);
}
