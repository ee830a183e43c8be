/**
 * The capacity plan from measurements: reads a perf/results/capacity-*.json (measure.ts) and a
 * perf/results/gateway-scale-careloop-*.json (gateway-scale/run.ts) and prints, as markdown, the
 * pods, partitions and Redis / PostgreSQL / Kafka / ClickHouse sizes for a load and for 10× it.
 *   node dist/perf/capacity/plan.js <capacity.json> <gateway-scale.json> [patients sessions msgPerSecond]
 */
import { readFileSync } from 'node:fs';
import { TOPICS } from '../../platform/kafka/topics.js';
import { handleHelp } from '../usage.js';

const USAGE = `Usage: node dist/perf/capacity/plan.js <capacity.json> <gateway-scale.json> [patients sessions msgPerSecond]

The capacity plan from measurements: reads a perf/results/capacity-*.json (capacity/measure.js) and a
perf/results/gateway-scale-careloop-*.json (gateway-scale/run.js) and prints, as markdown, the pods,
partitions and Redis / PostgreSQL / Kafka / ClickHouse sizes for the load and for 10x it.

  capacity.json        the measure.js result
  gateway-scale.json   the gateway-scale result of the careloop target
  patients             patients of the load (default 8000000)
  sessions             open chat sessions (default 1200000)
  msgPerSecond         inbound messages per second (default 250)

Needs nothing running; reads only the two files and writes nothing (the tables go to stdout,
e.g. into docs/capacity.md).
Exit status 0; 1 when a file cannot be read or parsed; 2 without the two file arguments or for a --flag.`;
handleHelp(USAGE, { flags: [] });

interface ServiceFigure { records: number; cpuSeconds: number; recordsPerCoreSecond: number | null; rssMB: number }
interface Capacity {
  services: Record<string, ServiceFigure>;
  storage: {
    redis: Record<string, { keys: number; bytes: number }>;
    kafka: Record<string, { records: number; bytes: number; bytesPerRecord: number | null }>;
    postgres: Record<string, { rows: number; bytesPerRow: number }>;
    clickhouse: Record<string, { rows: number; bytesPerRow: number | null }>;
  };
}
interface GatewayScale { sessions: number; processes: number; baseRssMB: number; rssPerSessionKB: number; idleCpuCores: number }

const [capFile, gwFile, p = '8000000', s = '1200000', r = '250'] = process.argv.slice(2);
if (!capFile || !gwFile) { console.error(USAGE); process.exit(2); }
const cap = JSON.parse(readFileSync(capFile, 'utf8')) as Capacity;
const gw = JSON.parse(readFileSync(gwFile, 'utf8')) as GatewayScale;

const UTILISATION = 0.5; // pods run at half their CPU, so a zone or a burst fits
const SESSIONS_PER_GATEWAY_POD = 15_000; // under the ~19,000 one process held here, measured
const DAY = 86_400;
const inbound = (cap.services.intent as ServiceFigure).records; // every accepted message is one intent record
const perMessage = (svc: string): number => (cap.services[svc] as ServiceFigure).records / inbound;
const gb = (bytes: number): string => (bytes / 1e9 >= 100 ? Math.round(bytes / 1e9).toLocaleString('en') : (bytes / 1e9).toFixed(1)) + ' GB';
const retentionDays = (topic: string): number => (TOPICS.find((t) => t.name === topic)?.retentionMs ?? 0) / 86_400_000;

function plan(patients: number, sessions: number, rate: number): string {
  const lines: string[] = [];
  lines.push(`### ${patients.toLocaleString('en')} patients, ${sessions.toLocaleString('en')} sessions, ${rate.toLocaleString('en')} msg/s`, '');
  lines.push('| service | records per inbound message | records per core-second (measured) | cores at this rate | pods (1 CPU, at 50 %) | memory per pod (RSS measured under load) |', '|---|---|---|---|---|---|');
  let partitionsNeeded = 0;
  for (const svc of ['intent', 'dialogue', 'actions', 'delivery-ws', 'analytics-sink']) {
    const f = cap.services[svc] as ServiceFigure;
    const cores = (rate * perMessage(svc)) / (f.recordsPerCoreSecond ?? 1);
    const pods = Math.max(2, Math.ceil(cores / UTILISATION));
    partitionsNeeded = Math.max(partitionsNeeded, pods);
    lines.push(`| ${svc} | ${perMessage(svc).toFixed(2)} | ${f.recordsPerCoreSecond} | ${cores.toFixed(2)} | ${pods} | ${f.rssMB} MB |`);
  }
  const g = cap.services.gateway as ServiceFigure;
  const gwMsgCores = rate / (g.recordsPerCoreSecond ?? 1);
  const gwIdleCores = (sessions / gw.sessions) * gw.idleCpuCores * gw.processes;
  const gwPodsBySessions = Math.ceil(sessions / SESSIONS_PER_GATEWAY_POD);
  const gwPods = Math.max(gwPodsBySessions, Math.ceil((gwMsgCores + gwIdleCores) / UTILISATION));
  const gwPodMB = gw.baseRssMB / gw.processes + (SESSIONS_PER_GATEWAY_POD * gw.rssPerSessionKB) / 1024;
  lines.push(`| gateway | 1 in, 1 out | ${g.recordsPerCoreSecond} messages | ${(gwMsgCores + gwIdleCores).toFixed(2)} (${gwIdleCores.toFixed(2)} of it idle sessions) | ${gwPods} (${SESSIONS_PER_GATEWAY_POD.toLocaleString('en')} sessions each) | ${Math.round(gwPodMB)} MB at ${SESSIONS_PER_GATEWAY_POD.toLocaleString('en')} sessions |`);
  lines.push('| api, scheduler | not on the message path | | | 2 each (HA) | ' + `${(cap.services.scheduler as ServiceFigure).rssMB} MB (scheduler) |`, '');
  const partitionScale = Math.max(1, Math.ceil((partitionsNeeded * 4) / 12)); // 4× burst headroom over the pods needed
  lines.push(`Partitions: the busiest group needs ${partitionsNeeded} consumers at this rate; with 4× burst headroom, \`kafka.partitionScale: ${partitionScale}\` (${12 * partitionScale} partitions per data-flow topic).`, '');

  const redis = cap.storage.redis;
  const per = (fam: string): number => (redis[fam] ? redis[fam].bytes / redis[fam].keys : 0);
  const windowS = 6 * 3600;
  const rows: Array<[string, string, number]> = [
    ['conversation (state per patient)', `${Math.round(per('conversation'))} B × ${patients.toLocaleString('en')} patients`, per('conversation') * patients],
    ['outbox (stream per patient)', `${Math.round(per('outbox'))} B × ${patients.toLocaleString('en')} patients`, per('outbox') * patients],
    ['seen (gateway resend markers, 6 h)', `${Math.round(per('seen'))} B × ${(rate * windowS).toLocaleString('en')} messages`, per('seen') * rate * windowS],
    ['queued (delivery dedupe markers, 6 h)', `${Math.round(per('queued'))} B × ${(rate * windowS).toLocaleString('en')} replies`, per('queued') * rate * windowS],
    ['route (patient → gateway)', `${Math.round(per('route') || 236)} B × ${sessions.toLocaleString('en')} sessions`, (per('route') || 236) * sessions],
  ];
  const redisTotal = rows.reduce((n, x) => n + x[2], 0);
  lines.push('| Redis key family | measured bytes × count | bytes |', '|---|---|---|');
  for (const [name, how, bytes] of rows) lines.push(`| ${name} | ${how} | ${gb(bytes)} |`);
  lines.push(`| **total** (provision 2×: fragmentation, fork for persistence) | | **${gb(redisTotal)}** → ${gb(redisTotal * 2)} |`, '');

  lines.push('| Kafka topic | bytes per record on disk (measured) | records/s | retention | bytes × 3 replicas |', '|---|---|---|---|---|');
  let kafkaTotal = 0;
  for (const [topic, k] of Object.entries(cap.storage.kafka)) {
    if (!k.bytesPerRecord || retentionDays(topic) <= 0) continue;
    const perSecond = rate * (k.records / inbound);
    const bytes = k.bytesPerRecord * perSecond * DAY * retentionDays(topic) * 3;
    kafkaTotal += bytes;
    lines.push(`| ${topic} | ${k.bytesPerRecord} | ${perSecond.toFixed(0)} | ${retentionDays(topic)} d | ${gb(bytes)} |`);
  }
  lines.push(`| **total** | | | | **${gb(kafkaTotal)}** |`, '');

  const pg = cap.storage.postgres;
  const ch = cap.storage.clickhouse.events;
  const actionsPerSecond = rate * perMessage('actions');
  const pgPatients = ((pg.patients?.bytesPerRow ?? 0) + (pg.patient_medications?.bytesPerRow ?? 0)) * patients;
  const pgPerYear = (pg.adherence_events?.bytesPerRow ?? 0) * actionsPerSecond * DAY * 365;
  lines.push(`PostgreSQL: patients ${pg.patients?.bytesPerRow} B + one medication ${pg.patient_medications?.bytesPerRow} B per patient (heap + indexes) = ${gb(pgPatients)}; adherence events ${pg.adherence_events?.bytesPerRow} B × ${actionsPerSecond.toFixed(0)}/s = ${gb(pgPerYear)} a year.`);
  const chPerMessage = perMessage('analytics-sink');
  const chBytes = (ch?.bytesPerRow ?? 0) * rate * chPerMessage * DAY * 30.4 * 25;
  lines.push(`ClickHouse: ${ch?.bytesPerRow} B per event on disk × ${(rate * chPerMessage).toFixed(0)} events/s (${chPerMessage.toFixed(2)} per message) × 25 months = ${gb(chBytes)}.`, '');
  return lines.join('\n');
}

const patients = Number(p); const sessions = Number(s); const rate = Number(r);
console.log(plan(patients, sessions, rate));
console.log(plan(patients * 10, sessions * 10, rate * 10));
