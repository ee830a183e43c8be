/*
 * Dashboard query latency on N events (default 10,000,000): the events are generated inside
 * ClickHouse (the same mix as synthetic-records.ts: 100,000 patients in ten organisations over 90
 * days) and inserted into `events`, so every materialized view fills as it would from the sink.
 * Then each dashboard query (the three shared views, for one organisation and for all) and each of
 * the ten example questions of docs/analytics.md runs 5 times after the sink's dashboard refresh
 * rounds (timed) have run over the load; prints min/median/max ms and writes
 * perf/results/analytics-dashboards.json.
 *   node dist/perf/analytics/dashboard-queries.js [events=10000000] [--keep]
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../platform/config/config.js';
import { repoRoot } from '../../platform/paths.js';
import { createClient } from '@clickhouse/client';
import { createClickHouse, migrateClickHouse } from '../../platform/storage/clickhouse.js';
import { refreshDashboards, type RefreshReport } from '../../stream-processors/analytics-sink/dashboards.js';
import { handleHelp } from '../usage.js';

handleHelp(`Usage: node dist/perf/analytics/dashboard-queries.js [events] [--keep]

Dashboard query latency: generates N events inside ClickHouse (100,000 patients, ten organisations,
90 days) into a throw-away database perf_dash_<id>, so every materialized view fills as from the
sink; times the sink's dashboard refresh rounds, then runs each dashboard query and each example
question of docs/analytics.md five times and prints min/median/max ms.

  events   events to generate (default 10000000)
  --keep   leave the database perf_dash_<id> in place (default: dropped at the end)

Needs the local stack's ClickHouse (bin/careloop stack up; its analyst user runs the queries);
CARELOOP_CLICKHOUSE_URL and the other CARELOOP_* settings point elsewhere.
Writes perf/results/analytics-dashboards.json.
Exit status 0 when done; 1 on an error (e.g. ClickHouse unreachable); 2 for an unknown flag.`, { flags: ['--keep'] });

const events = Number(process.argv[2] ?? 10_000_000);
const keep = process.argv.includes('--keep');
const database = `perf_dash_${randomUUID().slice(0, 8)}`;
const cfg = loadConfig({ env: process.env, overrides: { 'clickhouse.database': database, 'log.level': 'warn' } });
const CHUNK = 1_000_000;
const base = Math.floor(Date.now() / 86_400_000) * 86_400 - 90 * 86_400;

/** One chunk of generated events, numbers [from, from + n). */
function generate(from: number, n: number): string {
  return `INSERT INTO ${database}.events
SELECT toDate(t) AS event_date, t AS event_time, concat('org_perf_', toString(p % 10)) AS organization_id, concat('pt_perf', toString(p)) AS patient_id,
  multiIf(s < 6, 'chat.inbound', s < 9, 'chat.intents', s < 14, 'chat.outbound', s < 16, 'patient.actions', s < 17, 'patient.signals', 'delivery.status') AS topic,
  multiIf(s < 6, 'message_received', s < 9, 'intent_detected', s < 14, 'message_sent', s < 16, 'action.record_adherence', s < 17, 'signal.dose_due', s = 19, 'delivery.read', 'delivery.delivered') AS event_type,
  if(s >= 14 AND s < 17, '', if(p % 4 = 3, 'SMS', 'WEB')) AS channel,
  if(s >= 17, concat('rec-', toString(number - 3), if(s = 19, ':READ:1', ':DELIVERED:1')), concat('rec-', toString(number))) AS record_id,
  if(s >= 9 AND s < 16, 'medication-adherence', '') AS workflow_id, toUInt32(s >= 9 AND s < 16) AS workflow_version,
  if(s >= 6 AND s < 9, 0.9, 0.) AS score,
  multiIf(s < 6, ['locale'], s < 9, ['intent', 'language', 'latency_ms'], s < 14, ['kind', 'propensity', 'template', 'variant'], s < 16, ['medication_class', 'medication_id', 'taken'],
    s < 17, ['due_at', 'medication_id', 'occurrence_id'], ['attempt']) AS attr_keys,
  multiIf(s < 6, ['en'], s < 9, [if(number % 2 = 0, 'medication_taken', 'greeting'), 'en', '40'],
    s < 14, [if(s < 11, 'PROACTIVE', 'REPLY'), '0.3333', 'dose_question', concat('v', toString(number % 3))],
    s < 16, [arrayElement(['antidiabetic', 'antihypertensive', 'lipid_lowering', 'thyroid'], p % 4 + 1), concat('rx-', toString(p)), if(intHash32(number + 1) % 5 = 0, 'false', 'true')],
    s < 17, ['2026-11-01T08:00:00Z', concat('rx-', toString(p)), concat('dose_due:rx-', toString(p), ':', toString(number))], ['1']) AS attr_values
FROM (SELECT number, intHash32(number) % 100000 AS p, number % 20 AS s, toDateTime(${base} + (number * 7919) % (90 * 86400)) AS t FROM system.numbers LIMIT ${n} OFFSET ${from})`;
}

function dashboards(): Array<{ name: string; sql: string }> {
  const org = "'org_perf_3'";
  const doc = readFileSync(join(repoRoot(), 'docs/analytics.md'), 'utf8');
  const questions = [...doc.matchAll(/^### (\d+)\. (.+)\n\n```sql\n([\s\S]*?)```/gm)]
    .map((m) => ({ name: `question ${m[1]} (one organisation)`, sql: (m[3] as string).replaceAll('careloop.', `${database}.`).replaceAll('{org}', org) }));
  return [
    { name: 'dashboard: daily engagement, one organisation, 90 days', sql: `SELECT * FROM ${database}.shared_engagement_daily WHERE organization_id = ${org} ORDER BY event_date, channel` },
    { name: 'dashboard: adherence by cohort and class, one organisation', sql: `SELECT * FROM ${database}.shared_adherence_by_cohort WHERE organization_id = ${org} ORDER BY cohort_month, event_month, medication_class` },
    { name: 'dashboard: response by hour and channel, one organisation', sql: `SELECT * FROM ${database}.shared_response_by_hour WHERE organization_id = ${org} ORDER BY event_month, channel, hour_of_day` },
    { name: 'dashboard: daily engagement, all organisations, 90 days', sql: `SELECT * FROM ${database}.shared_engagement_daily ORDER BY organization_id, event_date, channel` },
    { name: 'dashboard: adherence by cohort and class, all organisations', sql: `SELECT * FROM ${database}.shared_adherence_by_cohort ORDER BY organization_id, cohort_month, event_month, medication_class` },
    { name: 'dashboard: response by hour and channel, all organisations', sql: `SELECT * FROM ${database}.shared_response_by_hour ORDER BY organization_id, event_month, channel, hour_of_day` },
    ...questions,
  ];
}

// Generating a million events takes longer than the product client's 30 s timeout on a busy machine.
const admin = createClient({ url: cfg.clickhouse.url, username: cfg.clickhouse.user, password: cfg.clickhouse.password, request_timeout: 900_000 });
// Dashboards and analysts query as the read-only analyst user the stack creates.
const client = createClickHouse({ ...cfg.clickhouse, user: 'analyst', password: '' }, database);
try {
  await migrateClickHouse(cfg.clickhouse, join(repoRoot(), 'platform/storage/migrations/clickhouse'));
  const loadStart = Date.now();
  for (let from = 0; from < events; from += CHUNK) {
    await admin.command({ query: generate(from, Math.min(CHUNK, events - from)), clickhouse_settings: { max_execution_time: 600 } });
    process.stdout.write(`\rloaded ${Math.min(events, from + CHUNK).toLocaleString('en')} events`);
  }
  const loadMs = Date.now() - loadStart;
  console.log(` in ${loadMs} ms`);
  const parts = await (await admin.query({ query: `SELECT table, toUInt64(count()) AS parts, toUInt64(sum(rows)) AS rows FROM system.parts WHERE database = '${database}' AND active GROUP BY table ORDER BY table`, format: 'JSONEachRow' })).json<Record<string, string>>();
  const measure = async (): Promise<Array<{ name: string; rows: number; ms: number[]; medianMs: number }>> => {
    const results: Array<{ name: string; rows: number; ms: number[]; medianMs: number }> = [];
    for (const d of dashboards()) {
      const ms: number[] = [];
      let rows = 0;
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const rs = await client.query({ query: d.sql, format: 'JSONEachRow' });
        rows = (await rs.json()).length;
        ms.push(Math.round(performance.now() - t));
      }
      const sorted = [...ms].sort((a, b) => a - b);
      results.push({ name: d.name, rows, ms, medianMs: sorted[2] as number });
      console.log(`${d.name.padEnd(62)} rows ${String(rows).padStart(5)}  min ${sorted[0]} ms  median ${sorted[2]} ms  max ${sorted[4]} ms`);
    }
    return results;
  };
  // The sink refreshes the dashboard rollups every 30 s; here its first round over the whole load,
  // then the confirming round a refresh does once more for every day it recomputed.
  const refreshes: RefreshReport[] = [];
  for (let i = 0; i < 2; i++) {
    refreshes.push(await refreshDashboards(admin, database, Date.now()));
    console.log(`refresh round ${i + 1}: ${JSON.stringify(refreshes[i])}`);
  }
  const third = await refreshDashboards(admin, database, Date.now());
  console.log(`refresh round 3 (nothing new): ${JSON.stringify(third)}`);
  refreshes.push(third);
  console.log('after the refresh rounds (unmerged parts, as right after loading):');
  const results = await measure();
  const out = { measuredAt: new Date().toISOString(), server: (await (await admin.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>())[0]?.v, events, loadMs, parts, refreshes, results, loadAverageAtEnd: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') };
  mkdirSync(join(repoRoot(), 'perf/results'), { recursive: true });
  writeFileSync(join(repoRoot(), 'perf/results/analytics-dashboards.json'), JSON.stringify(out, null, 2) + '\n');
} finally {
  if (!keep) await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  else console.log(`kept database ${database}`);
  await client.close();
  await admin.close();
}
