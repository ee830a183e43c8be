import type { ClickHouseClient } from '../../platform/storage/clickhouse.js';

/**
 * One refresh round of the dashboard rollups (migration 0003): finds the organisation-days whose
 * row count in `events_daily` moved since their last refresh, and recomputes exactly, from the
 * duplicate-proof aggregate states, their day's engagement cells and their month's adherence and
 * response-by-hour cells. Idempotent: a cell written twice keeps its newest version.
 */
export interface RefreshReport {
  /** Organisation-days recomputed this round. */
  days: number;
  /** Organisation-months recomputed this round. */
  months: number;
  ms: number;
}

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
function monthOf(day: string): string {
  return `${day.slice(0, 7)}-01`;
}
function nextMonth(month: string): string {
  const d = new Date(`${month}T00:00:00Z`);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
}

export async function refreshDashboards(clickhouse: ClickHouseClient, db: string, now: number): Promise<RefreshReport> {
  const started = performance.now();
  const counts = await (await clickhouse.query({
    query: `SELECT organization_id, toString(event_date) AS day, toString(sum(events)) AS n FROM ${db}.events_daily GROUP BY organization_id, event_date`,
    format: 'JSONEachRow',
  })).json<{ organization_id: string; day: string; n: string }>();
  const marks = await (await clickhouse.query({
    query: `SELECT organization_id, toString(event_date) AS day, toString(argMax(source_events, version)) AS n, argMax(confirmed, version) AS confirmed FROM ${db}.dashboard_refreshes GROUP BY organization_id, event_date`,
    format: 'JSONEachRow',
  })).json<{ organization_id: string; day: string; n: string; confirmed: number | string }>();
  const marked = new Map(marks.map((m) => [`${m.organization_id}\u0000${m.day}`, m]));
  // Per organisation, its dirty days, and whether each one's count moved (then it is confirmed next round).
  const dirty = new Map<string, Array<{ day: string; n: string; changed: boolean }>>();
  for (const c of counts) {
    const m = marked.get(`${c.organization_id}\u0000${c.day}`);
    const changed = m === undefined || m.n !== c.n;
    if (!changed && Number(m.confirmed) === 1) continue;
    let list = dirty.get(c.organization_id);
    if (list === undefined) dirty.set(c.organization_id, (list = []));
    list.push({ day: c.day, n: c.n, changed });
  }
  const version = Math.floor(now);
  let days = 0;
  let months = 0;
  // One organisation-month at a time: each unit is bounded however large the backlog, and a unit
  // that fails (ClickHouse busy or away) leaves the ones before it done and itself for next round.
  const units: Array<{ org: string; month: string; list: Array<{ day: string; n: string; changed: boolean }> }> = [];
  for (const [org, all] of dirty) {
    const byMonth = new Map<string, Array<{ day: string; n: string; changed: boolean }>>();
    for (const d of all) {
      const m = monthOf(d.day);
      byMonth.set(m, [...(byMonth.get(m) ?? []), d]);
    }
    for (const [month, list] of [...byMonth].sort(([a], [b]) => (a < b ? 1 : -1))) units.push({ org, month, list });
  }
  for (const { org, month, list } of units) {
    const o = quote(org);
    const dayList = list.map((d) => `toDate('${d.day}')`).join(', ');
    const monthRange = (col: string): string => `${col} >= toDate('${month}') AND ${col} < toDate('${nextMonth(month)}')`;
    await clickhouse.command({
      query: `INSERT INTO ${db}.dashboard_engagement_daily
SELECT event_date, organization_id, channel,
  uniqExactMerge(patients_state), uniqExactMergeIf(records_state, activity = 'inbound'),
  uniqExactMergeIf(records_state, activity = 'outbound'), uniqExactMergeIf(records_state, activity = 'dose_recorded'), toUInt64(${version})
FROM ${db}.engagement_daily
WHERE organization_id = ${o} AND event_date IN (${dayList})
GROUP BY event_date, organization_id, channel`,
    });
    await clickhouse.command({
      query: `INSERT INTO ${db}.dashboard_adherence_monthly
SELECT event_month, organization_id, cohort_month, medication_class, count(), sum(recorded), sum(taken), toUInt64(${version})
FROM (
  SELECT organization_id, patient_id, event_month, medication_class,
    uniqExactMergeIf(records_state, outcome IN ('taken', 'missed')) AS recorded,
    uniqExactMergeIf(records_state, outcome = 'taken') AS taken
  FROM ${db}.adherence_monthly
  WHERE organization_id = ${o} AND ${monthRange('event_month')}
  GROUP BY organization_id, patient_id, event_month, medication_class
  HAVING recorded > 0
) ANY LEFT JOIN (
  SELECT organization_id, patient_id, toStartOfMonth(minMerge(first_seen_state)) AS cohort_month
  FROM ${db}.patient_first_seen
  WHERE organization_id = ${o}
  GROUP BY organization_id, patient_id
) USING (organization_id, patient_id)
GROUP BY organization_id, cohort_month, event_month, medication_class`,
    });
    await clickhouse.command({
      query: `INSERT INTO ${db}.dashboard_response_monthly
SELECT toStartOfMonth(event_date) AS event_month, organization_id, channel, hour_of_day,
  uniqExactMerge(patients_state), uniqExactMergeIf(records_state, activity = 'proactive'),
  uniqExactMergeIf(records_state, activity = 'inbound'), uniqExactMergeIf(records_state, activity = 'read'), toUInt64(${version})
FROM ${db}.response_hourly
WHERE organization_id = ${o} AND ${monthRange('event_date')}
GROUP BY event_month, organization_id, channel, hour_of_day`,
    });
    // Marked last: until then the shared views compute these days from the states themselves.
    await clickhouse.insert({
      table: `${db}.dashboard_refreshes`,
      values: list.map((d) => ({ organization_id: org, event_date: d.day, source_events: d.n, confirmed: d.changed ? 0 : 1, version })),
      format: 'JSONEachRow',
    });
    days += list.length;
    months += 1;
  }
  return { days, months, ms: Math.round(performance.now() - started) };
}
