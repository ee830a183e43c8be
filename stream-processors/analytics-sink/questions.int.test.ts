import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot } from '../../platform/paths.js';
import { createClickHouse, migrateClickHouse } from '../../platform/storage/clickhouse.js';
import { testConfig, uniqueId } from '../../test/helpers.js';
import { CANARY, population } from './population.js';
import { refreshDashboards } from './dashboards.js';
import { toEventRow, type EventRow } from './rows.js';

const database = uniqueId('careloop_test_');
const cfg = testConfig({ 'clickhouse.database': database });
const admin = createClickHouse(cfg.clickhouse, null);
// The read-only user the stack creates (stack/clickhouse.ts).
const analyst = createClickHouse({ ...cfg.clickhouse, user: 'analyst', password: '' }, database);
const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const big = 'org_big';
const small = 'org_small';
let rows: EventRow[] = [];

/** The ten questions exactly as docs/analytics.md prints them. */
function questions(): Array<{ n: number; title: string; sql: string }> {
  const doc = readFileSync(join(repoRoot(), 'docs/analytics.md'), 'utf8');
  return [...doc.matchAll(/^### (\d+)\. (.+)\n\n```sql\n([\s\S]*?)```/gm)].map((m) => ({ n: Number(m[1]), title: m[2] as string, sql: m[3] as string }));
}

async function ask(n: number, org: string): Promise<Array<Record<string, unknown>>> {
  const q = questions().find((x) => x.n === n);
  assert.ok(q, `question ${n} is in the doc`);
  const sql = q.sql.replaceAll('careloop.', `${database}.`).replaceAll('{org}', `'${org}'`);
  const rs = await analyst.query({ query: sql, format: 'JSONEachRow' });
  return (await rs.json<Record<string, unknown>>()).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v])));
}

const attr = (r: EventRow, k: string): string => r.attr_values[r.attr_keys.indexOf(k)] ?? '';
const hourOf = (r: EventRow): number => new Date(r.event_time * 1000).getUTCHours();
const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;
function groups<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) { const k = key(t); m.set(k, [...(m.get(k) ?? []), t]); }
  return m;
}
const patients = (rs: readonly EventRow[]): number => new Set(rs.map((r) => r.patient_id)).size;
const of = (org: string, pred: (r: EventRow) => boolean): EventRow[] => rows.filter((r) => r.organization_id === org && pred(r));
/** Per patient, the times of their rows matching `pred`. */
function timesBy(org: string, pred: (r: EventRow) => boolean): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const r of of(org, pred)) m.set(r.patient_id, [...(m.get(r.patient_id) ?? []), r.event_time]);
  return m;
}
const within = (times: readonly number[] | undefined, from: number, to: number, inclusive = false): boolean =>
  (times ?? []).some((t) => (inclusive ? t >= from : t > from) && t <= to);

before(async () => {
  await migrateClickHouse(cfg.clickhouse, join(repoRoot(), 'platform/storage/migrations/clickhouse'));
  const start = today - 40 * DAY;
  const records = [...population({ organizationId: big, patients: 48, days: 40, start }), ...population({ organizationId: small, patients: 6, days: 40, start })];
  rows = records.map((r) => toEventRow(r.topic, r.value)).filter((r): r is EventRow => r !== null);
  // Every record twice, in two inserts, as a redelivery would: no answer may change.
  await admin.insert({ table: `${database}.events`, values: rows, format: 'JSONEachRow' });
  await admin.insert({ table: `${database}.events`, values: rows, format: 'JSONEachRow' });
});
after(async () => { await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` }); await admin.close(); await analyst.close(); });

test('the doc holds ten questions and each runs as the read-only analyst; cells under 11 patients never show', async () => {
  assert.deepEqual(questions().map((q) => q.n), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  for (const q of questions()) {
    assert.ok((await ask(q.n, big)).length > 0, `question ${q.n} answers for the large organisation`);
    assert.deepEqual(await ask(q.n, small), [], `question ${q.n} shows nothing of an organisation of 6 patients`);
  }
  await assert.rejects(analyst.insert({ table: `${database}.events`, values: [rows[0]], format: 'JSONEachRow' }), /readonly/i);
  await assert.rejects(analyst.command({ query: `DROP TABLE ${database}.events` }), /readonly/i);
});

test('1 and 2: daily engagement and adherence by cohort and class match the records, duplicates not counted', async () => {
  const since = today - 30 * DAY;
  const engaged = of(big, (r) => (r.topic === 'chat.inbound' || r.topic === 'chat.outbound' || r.event_type === 'action.record_adherence') && Date.parse(r.event_date) >= since);
  const expected1 = [...groups(engaged, (r) => `${r.event_date}|${r.channel}`)].filter(([, rs]) => patients(rs) >= 11).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, rs]) => ({
    event_date: k.split('|')[0], channel: k.split('|')[1], patients: patients(rs),
    inbound_messages: rs.filter((r) => r.topic === 'chat.inbound').length, outbound_messages: rs.filter((r) => r.topic === 'chat.outbound').length,
    doses_recorded: rs.filter((r) => r.event_type === 'action.record_adherence').length,
  }));
  assert.ok(expected1.length >= 30);
  assert.deepEqual(await ask(1, big), expected1);

  const firstSeen = new Map<string, string>();
  for (const r of of(big, () => true)) if ((firstSeen.get(r.patient_id) ?? '9') > r.event_date) firstSeen.set(r.patient_id, r.event_date);
  const month = (d: string): string => `${d.slice(0, 7)}-01`;
  const doses = of(big, (r) => r.event_type === 'action.record_adherence');
  const expected2 = [...groups(doses, (r) => `${month(firstSeen.get(r.patient_id) as string)}|${month(r.event_date)}|${attr(r, 'medication_class')}`)]
    .filter(([, rs]) => patients(rs) >= 11).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, rs]) => {
      const [cohort_month, event_month, medication_class] = k.split('|');
      const taken = rs.filter((r) => attr(r, 'taken') === 'true').length;
      return { cohort_month, event_month, medication_class, patients: patients(rs), doses_recorded: rs.length, doses_taken: taken, adherence: round4(taken / rs.length) };
    });
  assert.ok(expected2.some((e) => e.medication_class === 'antidiabetic') && expected2.some((e) => e.medication_class === 'lipid_lowering'), 'classes, not names');
  assert.ok(new Set(expected2.map((e) => e.cohort_month)).size >= 1);
  assert.deepEqual(await ask(2, big), expected2);
});

test('3, 4 and 9: activity by hour, answers within 4 hours and doses confirmed within 2 hours of a reminder', async () => {
  const hourly = of(big, (r) => r.topic === 'chat.inbound' || r.topic === 'chat.outbound' || r.event_type === 'delivery.read');
  const expected3 = [...groups(hourly, (r) => `${r.event_date.slice(0, 7)}-01|${r.channel}|${String(hourOf(r)).padStart(2, '0')}`)].filter(([, rs]) => patients(rs) >= 11).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, rs]) => ({
    event_month: k.split('|')[0], channel: k.split('|')[1], hour_of_day: Number(k.split('|')[2]), patients: patients(rs),
    proactive_sent: rs.filter((r) => attr(r, 'kind') === 'PROACTIVE').length, inbound_messages: rs.filter((r) => r.topic === 'chat.inbound').length,
    reads: rs.filter((r) => r.event_type === 'delivery.read').length,
  }));
  assert.deepEqual(await ask(3, big), expected3);

  const inbound = timesBy(big, (r) => r.topic === 'chat.inbound');
  const sends = of(big, (r) => attr(r, 'kind') === 'PROACTIVE');
  const expected4 = [...groups(sends, (r) => `${String(hourOf(r)).padStart(2, '0')}|${r.channel}`)].filter(([, rs]) => patients(rs) >= 11).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, rs]) => {
    const answered = rs.filter((r) => within(inbound.get(r.patient_id), r.event_time, r.event_time + 14_400)).length;
    return { hour_of_day: Number(k.split('|')[0]), channel: k.split('|')[1], patients: patients(rs), sent: rs.length, answered_sends: answered, answer_rate: round4(answered / rs.length) };
  });
  assert.ok(expected4.length >= 3);
  assert.deepEqual(await ask(4, big), expected4);

  const recorded = timesBy(big, (r) => r.event_type === 'action.record_adherence' && attr(r, 'taken') !== 'unknown');
  const reminders = of(big, (r) => r.event_type === 'signal.dose_due');
  const expected9 = [...groups(reminders, (r) => String(hourOf(r)).padStart(2, '0'))].filter(([, rs]) => patients(rs) >= 11).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, rs]) => {
    const confirmed = rs.filter((r) => within(recorded.get(r.patient_id), r.event_time, r.event_time + 7200, true)).length;
    return { hour_of_day: Number(k), patients: patients(rs), reminders: rs.length, confirmed_reminders: confirmed, confirmation_rate: round4(confirmed / rs.length) };
  });
  assert.deepEqual(await ask(9, big), expected9);
});

test('5 and 6: variant results with intervals, and the inverse-propensity estimate of a uniform policy', async () => {
  const inbound = timesBy(big, (r) => r.topic === 'chat.inbound');
  const assigned = of(big, (r) => attr(r, 'variant') !== '');
  const answered = (r: EventRow): number => (within(inbound.get(r.patient_id), r.event_time, r.event_time + 14_400) ? 1 : 0);
  const got5 = await ask(5, big);
  const byVariant = groups(assigned, (r) => attr(r, 'variant'));
  assert.deepEqual(got5.map((g) => g['variant_id']), [...byVariant.keys()].sort());
  for (const g of got5) {
    const rs = byVariant.get(g['variant_id'] as string) ?? [];
    const rate = rs.reduce((s, r) => s + answered(r), 0) / rs.length;
    assert.equal(g['experiment'], 'medication-adherence/dose_question');
    assert.equal(g['sends'], rs.length);
    assert.equal(g['reward_rate'], round4(rate));
    assert.ok((g['ci_low'] as number) < rate && rate < (g['ci_high'] as number), 'the interval holds the rate');
  }
  // Two variants logged at 0.5 each: a uniform policy's IPS estimate equals the logged rate.
  const [ips] = await ask(6, big);
  const logged = round4(assigned.reduce((s, r) => s + answered(r), 0) / assigned.length);
  assert.deepEqual(ips, { experiment: 'medication-adherence/dose_question', sends: assigned.length, variant_count: 2, logged_policy_rate: logged, uniform_policy_ips: logged });
});

test('7, 8 and 10: missed doses by weekday and class, the delivery funnel, booking conversion', async () => {
  const doses = of(big, (r) => r.event_type === 'action.record_adherence');
  const weekday = (r: EventRow): number => ((new Date(r.event_date).getUTCDay() + 6) % 7) + 1;
  const expected7 = [...groups(doses, (r) => `${attr(r, 'medication_class')}|${weekday(r)}`)].filter(([, rs]) => patients(rs) >= 11).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, rs]) => {
    const missed = rs.filter((r) => attr(r, 'taken') === 'false').length;
    return { medication_class: k.split('|')[0], weekday: Number(k.split('|')[1]), patients: patients(rs), taken_doses: rs.length - missed, missed_doses: missed, missed_rate: round4(missed / rs.length) };
  });
  assert.ok(expected7.length >= 7);
  assert.deepEqual(await ask(7, big), expected7);

  const funnel = await ask(8, big);
  const receipts = of(big, (r) => r.topic === 'delivery.status');
  assert.deepEqual(funnel.map((f) => [f['channel'], f['delivered'], f['read_messages'], f['failed']]),
    [...groups(receipts, (r) => r.channel)].sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, rs]) => [c, rs.filter((r) => r.event_type === 'delivery.delivered').length, rs.filter((r) => r.event_type === 'delivery.read').length, 0]));

  const bookings = await ask(10, big);
  const requests = of(big, (r) => r.event_type === 'action.book_appointment');
  const booked = new Set(of(big, (r) => r.event_type === 'signal.appointment_booked').map((r) => r.patient_id));
  assert.deepEqual(bookings.map((b) => [b['visit_type'], b['requested'], b['booked']]),
    [...groups(requests, (r) => attr(r, 'visit'))].filter(([, rs]) => patients(rs) >= 11).sort(([a], [b]) => (a < b ? -1 : 1)).map(([v, rs]) => [v, rs.length, rs.filter((r) => booked.has(r.patient_id)).length]));
});

test('dashboards: a refresh round recomputes the rollups exactly, the shared views answer the same from them, and rounds are idempotent', async () => {
  const before = [await ask(1, big), await ask(2, big), await ask(3, big)];
  const first = await refreshDashboards(admin, database, Date.now());
  assert.ok(first.days >= 40 && first.months >= 2, `first round recomputed ${first.days} days, ${first.months} months`);
  const count = async (t: string): Promise<number> => Number((await (await admin.query({ query: `SELECT count() AS n FROM ${database}.${t} FINAL WHERE organization_id = '${big}'`, format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n);
  for (const t of ['dashboard_engagement_daily', 'dashboard_adherence_monthly', 'dashboard_response_monthly']) assert.ok((await count(t)) > 0, `${t} holds the rollup`);
  assert.deepEqual([await ask(1, big), await ask(2, big), await ask(3, big)], before, 'the same answers from the rollups');
  const second = await refreshDashboards(admin, database, Date.now() + 1);
  assert.equal(second.days, first.days, 'each recomputed day is confirmed once more a round later');
  const third = await refreshDashboards(admin, database, Date.now() + 2);
  assert.deepEqual([third.days, third.months], [0, 0], 'then nothing is left to do');
  assert.deepEqual([await ask(1, big), await ask(2, big), await ask(3, big)], before);
  assert.deepEqual([await ask(1, small), await ask(2, small), await ask(3, small)], [[], [], []], 'small cells stay suppressed');
  // A redelivered batch after the refresh moves the days' counts: recomputed, and still counted once.
  await admin.insert({ table: `${database}.events`, values: rows.slice(0, 500), format: 'JSONEachRow' });
  assert.ok((await refreshDashboards(admin, database, Date.now() + 4)).days > 0);
  assert.deepEqual([await ask(1, big), await ask(2, big), await ask(3, big)], before, 'duplicates never counted');
});

test('canary: no table or view holds text, a name, a medication name or a payload', async () => {
  const rs = await admin.query({ query: `SELECT name FROM system.tables WHERE database = '${database}'`, format: 'JSONEachRow' });
  const tables = (await rs.json<{ name: string }>()).map((t) => t.name).filter((t) => !t.startsWith('.inner'));
  assert.ok(tables.length >= 20, `${tables.length} tables and views`);
  for (const t of tables) {
    const dump = await (await admin.query({ query: `SELECT * FROM ${database}.${t}`, format: 'TabSeparated' })).text();
    for (const needle of [CANARY, 'CANARY', 'Maria', 'Lopez', 'Metformin', 'Atorvastatina', '555-0101']) assert.ok(!dump.includes(needle), `${t} holds ${needle}`);
  }
});
