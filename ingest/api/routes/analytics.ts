import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Principal } from '../../../platform/auth/principal.js';
import { CareloopError } from '../../../platform/errors.js';
import { assertIdentifier, type ClickHouseClient } from '../../../platform/storage/clickhouse.js';
import { errorResponses } from '../../http.js';
import { principalOf } from '../principal.js';
import { Id } from './common.js';

export interface AnalyticsRoutesDeps {
  clickhouse(): Promise<ClickHouseClient>;
  database: string;
  now(): Date;
}

/** The smallest cell shown to a role that may not see patients (HIPAA safe-harbour style small-cell rule). */
export const MIN_CELL = 11;
export const DASHBOARDS = ['adherence', 'response', 'engagement', 'experiments'] as const;
type Dashboard = (typeof DASHBOARDS)[number];

const Series = Type.Object({
  name: Type.String({ description: 'what one line or bar group shows, e.g. a medication class or a channel' }),
  points: Type.Array(Type.Object({ x: Type.String(), y: Type.Union([Type.Number(), Type.Null()]), patients: Type.Union([Type.Integer(), Type.Null()]), suppressed: Type.Boolean() })),
});
const DashboardView = Type.Object({
  dashboard: Type.String(), title: Type.String(), unit: Type.String({ description: 'ratio, count' }), xLabel: Type.String(), yLabel: Type.String(),
  from: Type.String({ format: 'date' }), to: Type.String({ format: 'date' }), minCellSize: Type.Integer({ description: 'cells of fewer patients are suppressed (null, suppressed: true)' }),
  series: Type.Array(Series),
  table: Type.Array(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Null()]))),
});

interface Row { [k: string]: string | number }
const lit = (s: string): string => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;
const day = (d: Date): string => d.toISOString().slice(0, 10);

interface Spec { title: string; unit: string; xLabel: string; yLabel: string; sql(db: string, org: string, from: string, min: number): string; shape(rows: Row[], min: number): { series: Array<Static<typeof Series>>; table: Row[] } }

/** Groups rows into series by `key`, one point per `x`, suppressing (null) every cell of fewer than min patients. */
export function seriesOf(rows: Row[], key: string, x: string, y: (r: Row) => number, min: number): Array<Static<typeof Series>> {
  const by = new Map<string, Static<typeof Series>>();
  for (const r of rows) {
    const name = String(r[key]);
    const s = by.get(name) ?? { name, points: [] };
    by.set(name, s);
    const patients = Number(r['patients']);
    const shown = patients >= min;
    s.points.push({ x: String(r[x]), y: shown ? y(r) : null, patients: shown ? patients : null, suppressed: !shown });
  }
  return [...by.values()];
}

/** Rows a non-PHI role may see: suppressed cells carry no figures at all. */
export function tableOf(rows: Row[], min: number, figures: readonly string[]): Row[] {
  return rows.map((r) => (Number(r['patients']) >= min ? r : { ...Object.fromEntries(Object.entries(r).filter(([k]) => !figures.includes(k) && k !== 'patients')), patients: null as unknown as number, suppressed: 1 }));
}

const SPECS: Record<Dashboard, Spec> = {
  adherence: {
    title: 'Adherence by enrolment cohort and medication class', unit: 'ratio', xLabel: 'month', yLabel: 'doses taken / doses recorded',
    sql: (db, org, from) => `SELECT toString(cohort_month) AS cohort, toString(event_month) AS month, medication_class, count() AS patients, sum(recorded) AS doses_recorded, sum(taken) AS doses_taken, round(sum(taken) / sum(recorded), 4) AS adherence
FROM (
  SELECT organization_id, patient_id, event_month, medication_class,
    uniqExactMergeIf(records_state, outcome IN ('taken', 'missed')) AS recorded, uniqExactMergeIf(records_state, outcome = 'taken') AS taken
  FROM ${db}.adherence_monthly WHERE organization_id = ${lit(org)} AND event_month >= toStartOfMonth(toDate(${lit(from)}))
  GROUP BY organization_id, patient_id, event_month, medication_class HAVING recorded > 0
) ANY LEFT JOIN (
  SELECT organization_id, patient_id, toStartOfMonth(minMerge(first_seen_state)) AS cohort_month FROM ${db}.patient_first_seen WHERE organization_id = ${lit(org)} GROUP BY organization_id, patient_id
) USING (organization_id, patient_id)
GROUP BY cohort_month, event_month, medication_class ORDER BY event_month, medication_class, cohort_month`,
    shape: (rows, min) => {
      // The chart shows adherence per class and month (cohorts summed); the table keeps the cohorts.
      const byClass = new Map<string, Row>();
      for (const r of rows) {
        const k = `${r['medication_class']}|${r['month']}`;
        const acc = byClass.get(k) ?? { medication_class: r['medication_class'] as string, month: r['month'] as string, patients: 0, doses_recorded: 0, doses_taken: 0 };
        acc['patients'] = Number(acc['patients']) + Number(r['patients']);
        acc['doses_recorded'] = Number(acc['doses_recorded']) + Number(r['doses_recorded']);
        acc['doses_taken'] = Number(acc['doses_taken']) + Number(r['doses_taken']);
        byClass.set(k, acc);
      }
      return { series: seriesOf([...byClass.values()], 'medication_class', 'month', (r) => Math.round((Number(r['doses_taken']) / Number(r['doses_recorded'])) * 10_000) / 10_000, min), table: tableOf(rows, min, ['doses_recorded', 'doses_taken', 'adherence']) };
    },
  },
  response: {
    title: 'Patient activity by hour of day (UTC) and channel', unit: 'count', xLabel: 'hour of day (UTC)', yLabel: 'patient messages',
    sql: (db, org, from) => `SELECT channel, toString(hour_of_day) AS hour, uniqExactMerge(patients_state) AS patients,
  uniqExactMergeIf(records_state, activity = 'proactive') AS proactive_sent, uniqExactMergeIf(records_state, activity = 'inbound') AS inbound_messages, uniqExactMergeIf(records_state, activity = 'read') AS reads
FROM ${db}.response_hourly WHERE organization_id = ${lit(org)} AND event_date >= toDate(${lit(from)})
GROUP BY channel, hour_of_day ORDER BY channel, hour_of_day`,
    shape: (rows, min) => ({ series: seriesOf(rows, 'channel', 'hour', (r) => Number(r['inbound_messages']), min), table: tableOf(rows, min, ['proactive_sent', 'inbound_messages', 'reads']) }),
  },
  engagement: {
    title: 'Engagement over time: active patients a day, by channel', unit: 'count', xLabel: 'day', yLabel: 'active patients',
    sql: (db, org, from) => `SELECT toString(event_date) AS day, if(channel = '', 'none', channel) AS channel, uniqExactMerge(patients_state) AS patients,
  uniqExactMergeIf(records_state, activity = 'inbound') AS inbound_messages, uniqExactMergeIf(records_state, activity = 'outbound') AS outbound_messages, uniqExactMergeIf(records_state, activity = 'dose_recorded') AS doses_recorded
FROM ${db}.engagement_daily WHERE organization_id = ${lit(org)} AND event_date >= toDate(${lit(from)})
GROUP BY event_date, channel ORDER BY event_date, channel`,
    shape: (rows, min) => ({ series: seriesOf(rows, 'channel', 'day', (r) => Number(r['patients']), min), table: tableOf(rows, min, ['inbound_messages', 'outbound_messages', 'doses_recorded']) }),
  },
  experiments: {
    title: 'Experiment results: answer rate within 4 hours by message variant', unit: 'ratio', xLabel: 'variant', yLabel: 'answered within 4 h',
    sql: (db, org, from) => `SELECT experiment, variant_id AS variant, uniqExact(patient_id) AS patients, count() AS sends, round(avg(answered), 4) AS answer_rate,
  round(greatest(0, avg(answered) - 1.96 * sqrt(avg(answered) * (1 - avg(answered)) / count())), 4) AS ci_low,
  round(least(1, avg(answered) + 1.96 * sqrt(avg(answered) * (1 - avg(answered)) / count())), 4) AS ci_high
FROM (
  SELECT experiment, variant_id, patient_id, arrayExists((t, s) -> t > s AND t <= s + 14400, inbound_times, replicate(sent_at, inbound_times)) AS answered
  FROM (SELECT organization_id, patient_id, experiment, variant_id, toUInt32(event_time) AS sent_at FROM ${db}.experiment_assignments FINAL WHERE organization_id = ${lit(org)} AND event_date >= toDate(${lit(from)}))
  ANY LEFT JOIN (SELECT organization_id, patient_id, groupArray(toUInt32(event_time)) AS inbound_times FROM ${db}.messages FINAL WHERE organization_id = ${lit(org)} AND direction = 'in' GROUP BY organization_id, patient_id)
  USING (organization_id, patient_id)
) GROUP BY experiment, variant_id ORDER BY experiment, variant_id`,
    shape: (rows, min) => ({ series: seriesOf(rows, 'experiment', 'variant', (r) => Number(r['answer_rate']), min), table: tableOf(rows, min, ['sends', 'answer_rate', 'ci_low', 'ci_high']) }),
  },
};

/** PHI roles (care team, admins) see every cell; analysts and partners only cells of MIN_CELL patients or more. */
export function minCellFor(p: Principal): number {
  return p.permissions.includes('phi:read') ? 1 : MIN_CELL;
}

/**
 * Chart-ready dashboards over the analytics model of ClickHouse (pseudonymous aggregates only, no
 * patient id ever leaves ClickHouse): adherence by cohort and medication class, response by hour and
 * channel, engagement over time, experiment results.
 */
export function registerAnalyticsRoutes(app: FastifyInstance, deps: AnalyticsRoutesDeps): void {
  const db = assertIdentifier(deps.database);
  app.withTypeProvider<TypeBoxTypeProvider>().get('/v1/organizations/:organizationId/analytics/:dashboard', {
    schema: {
      summary: 'A dashboard\'s chart series and table from the analytics model (small cells suppressed for roles without PHI access)',
      params: Type.Object({ organizationId: Id, dashboard: Type.Union(DASHBOARDS.map((d) => Type.Literal(d))) }, { additionalProperties: false }),
      querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 730, default: 90 })) }, { additionalProperties: false }),
      response: { 200: DashboardView, ...errorResponses },
    },
  }, async (req) => {
    const p = principalOf(req);
    const org = req.params.organizationId;
    if (p.organizationId !== org) throw new CareloopError('FORBIDDEN', 'not allowed for this organisation', { details: { reason: 'wrong_organization' } });
    if (!p.permissions.includes('analytics:read') && !p.permissions.includes('phi:read')) throw new CareloopError('FORBIDDEN', `role ${p.role} lacks analytics:read`, { details: { reason: 'missing_permission', permission: 'analytics:read' } });
    const spec = SPECS[req.params.dashboard as Dashboard];
    const now = deps.now();
    const from = day(new Date(now.getTime() - (req.query.days ?? 90) * 86_400_000));
    const min = minCellFor(p);
    let rows: Row[];
    try {
      const rs = await (await deps.clickhouse()).query({ query: spec.sql(db, org, from, min), format: 'JSONEachRow' });
      rows = await rs.json<Row>();
    } catch (err) {
      throw new CareloopError('DEPENDENCY_UNAVAILABLE', 'the analytics store did not answer; try again', { cause: err });
    }
    const { series, table } = spec.shape(rows, min);
    return { dashboard: req.params.dashboard, title: spec.title, unit: spec.unit, xLabel: spec.xLabel, yLabel: spec.yLabel, from, to: day(now), minCellSize: min, series, table };
  });
}
