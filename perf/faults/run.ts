/**
 * The fault suite and the soak, one command: `node dist/perf/faults/run.js --help`.
 * Starts a deployment of its own (topic and key prefixes, ports; a private Kafka, Redis and
 * PostgreSQL when a row restarts one), runs the rows or the soak, prints the tables and writes them to
 * perf/results/faults-<run>.{json,md}, then removes what it made.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../platform/config/config.js';
import { GROUPS } from '../../platform/kafka/topics.js';
import { repoRoot } from '../../platform/paths.js';
import { connectRedis } from '../../platform/storage/redis.js';
import { cleanupRun, freePort, seedTenant } from '../../test/product.js';
import { Deployment, PROCESSORS, SERVICES } from './deployment.js';
import { parseFaultOptions, USAGE, type FaultOptions } from './options.js';
import { PrivateStack } from './private-stack.js';
import { rowPlans, runSuite } from './suite.js';
import { kafkaLagProbe, runSoak, soakTable, soakVerdict } from './soak.js';
import { adherenceClean, adherenceTable, costTable, faultTable, rowClean, type ProcessCost } from './table.js';
import { adherenceFigures, unexplainedRows } from './adherence.js';
import { createPgPool } from '../../platform/storage/postgres.js';

const root = repoRoot();
const say = (m: string): void => { console.log(`faults: ${m}`); };

function productEnv(run: string, o: FaultOptions, ports: { gateway: number; api: number }, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env, ...extra,
    CARELOOP_KAFKA_TOPIC_PREFIX: `${run}.`, CARELOOP_REDIS_KEY_PREFIX: `${run}:`, CARELOOP_CLICKHOUSE_DATABASE: `careloop_test_${run}`, CARELOOP_LOG_LEVEL: 'warn', CARELOOP_KAFKA_DRIVER: o.driver,
    CARELOOP_SERVICES_GATEWAY_PORT: String(ports.gateway), CARELOOP_SERVICES_API_PORT: String(ports.api),
    CARELOOP_GATEWAY_RATE_LIMIT_BURST: '100000', CARELOOP_GATEWAY_RATE_LIMIT_PER_MINUTE: '6000000', CARELOOP_AUDIT_ANCHOR_INTERVAL: '0s',
    ...(o.sessionTimeout === '' ? {} : { CARELOOP_CONSUMER_SESSION_TIMEOUT: o.sessionTimeout }),
  };
}

function costs(dep: Deployment, before: Map<string, number>, messages: number): ProcessCost[] {
  return SERVICES.map((s) => {
    const f = dep.sample(s);
    return { service: s, cpuMsPerMessage: f === null || messages === 0 ? Number.NaN : ((f.cpuSeconds - (before.get(s) ?? 0)) * 1000) / messages, rssMB: Math.round((f?.rssBytes ?? 0) / 1048576), restarts: f?.restarts ?? 0 };
  });
}

async function main(argv: readonly string[]): Promise<number> {
  let o: FaultOptions | 'help';
  try { o = parseFaultOptions(argv); } catch (err) { console.error(`faults: ${(err as Error).message}\n\n${USAGE}`); return 2; }
  if (o === 'help') { console.log(USAGE); return 0; }
  const run = `flt${Date.now().toString(36)}`;
  const plans = o.soakMinutes > 0 ? [] : rowPlans(o.rows, o.kills, o.outageMs, o.kafkaOutageMs);
  // The soak measures Redis memory: a private Redis holds only this run's keys.
  const privateDeps = o.soakMinutes > 0 ? ['redis' as const] : plans.flatMap((p) => (p.fault.kind === 'outage' ? [p.fault.dependency] : []));
  const stack = privateDeps.length > 0 ? new PrivateStack(`/tmp/careloop-${run}`, root, '.stack', 29092, say) : null;
  const ports = { gateway: await freePort(), api: await freePort() };
  let dep: Deployment | null = null;
  let cfg = loadConfig({ env: productEnv(run, o, ports, {}) });
  // Ctrl-C or a kill of the run: nothing it started (product processes, private dependencies) outlives it.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => { dep?.killAllNow(); stack?.killAllNow(); say(`${sig}: killed the product processes and private dependencies (left: /tmp/careloop-${run})`); process.exit(130); });
  }
  try {
    if (stack !== null) { say('starting the private dependencies the rows restart'); await stack.up(privateDeps); }
    const logDir = `/tmp/careloop-${run}-logs`;
    // Heap snapshots on SIGUSR2, written next to the logs (the file name carries the pid).
    const heap: Record<string, string> = o.heapSnapshots ? { NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${logDir}`.trim() } : {};
    const env = productEnv(run, o, ports, { ...(stack?.env() ?? {}), ...heap });
    cfg = loadConfig({ env });
    dep = new Deployment(env, ports.gateway, logDir);
    say(`product logs: ${logDir}/<service>.log`);
    say(`run ${run}: prepare (topics ${run}.*, migrations), ${o.patients} patients`);
    dep.prepare();
    const tenant = await seedTenant(cfg, o.patients);
    await dep.startAll();
    say(`services up (${SERVICES.join(', ')}), driver ${o.driver}`);
    await sleep(5_000); // consumer groups settle
    const before = new Map(SERVICES.map((s) => [s, dep?.sample(s)?.cpuSeconds ?? 0]));
    const started = new Date();
    const patients = tenant.patients.map((p) => ({ id: p.id, token: p.token }));
    const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAverageStart: loadavg() };
    const file = o.out ?? join(root, 'perf/results', `faults-${o.soakMinutes > 0 ? 'soak-' : ''}${run}.json`);
    mkdirSync(join(file, '..'), { recursive: true });
    if (o.soakMinutes > 0) {
      const redis = await connectRedis({ url: cfg.redis.url, name: 'careloop-soak' });
      const lag = await kafkaLagProbe(cfg.kafka.brokers, cfg.kafka.topicPrefix, GROUPS.filter((g) => (PROCESSORS as readonly string[]).includes(g.id)));
      const usedBytes = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
      // Warm-up: the first --soak-warmup minutes (5), at most a third of the soak, at least one sample.
      const intervals = Math.max(1, Math.round((o.soakMinutes * 60_000) / o.intervalMs));
      const warmup = Math.max(1, Math.min(Math.ceil(o.soakWarmupMs / o.intervalMs), Math.floor(intervals / 3)));
      const d = dep;
      const marker = async (label: string): Promise<void> => {
        if (!o.heapSnapshots) return;
        for (const s of SERVICES) {
          const pid = d.pid(s);
          if (pid === null) continue;
          process.kill(pid, 'SIGUSR2');
          say(`heap snapshot (${label}) of ${s}: pid ${pid}, in ${logDir}`);
          await sleep(3_000); // one at a time: each stops its process while it writes
        }
      };
      const samples = await runSoak(o.soakMinutes, o.intervalMs, o.rate, o.seed, dep, patients, { redisUsedBytes: usedBytes, kafkaLag: lag, marker, warmup }, say);
      await redis.quit();
      const verdict = soakVerdict(samples, warmup);
      const messages = Math.round(o.rate * o.soakMinutes * 60);
      const cost = costs(dep, before, messages);
      const text = [`Soak ${o.soakMinutes} min at ${o.rate} msg/s (${o.driver}), started ${started.toISOString()}; warm-up: first ${warmup} sample(s) (${Math.round((warmup * o.intervalMs) / 60_000 * 10) / 10} min), not judged`, '', soakTable(samples), '',
        `RSS growth after warm-up: ${Object.entries(verdict.rssGrowthPct).map(([k, v]) => `${k} ${v} %`).join(', ')}; reply p99 drift ${verdict.p99DriftPct ?? '-'} %: ${verdict.passed ? 'PASS' : `FAIL (${verdict.why.join('; ')})`}`,
        '', costTable(cost, messages, loadavg())].join('\n');
      console.log(`\n${text}`);
      writeFileSync(file, `${JSON.stringify({ run, options: o, machine: { ...machine, loadAverageEnd: loadavg() }, samples, verdict, cost }, null, 2)}\n`);
      writeFileSync(file.replace(/\.json$/, '.md'), `${text}\n`);
      say(`wrote ${file}`);
      return verdict.passed ? 0 : 1;
    }
    const outcome = await runSuite({ rate: o.rate, gapMs: o.gapMs, baselineMs: o.baselineMs, settleMs: o.settleMs, drainMs: o.drainMs, seed: o.seed, rows: plans, warmupMs: o.warmupMs }, dep, patients, stack, say);
    const sent = outcome.rows.reduce((n, r) => n + r.sent, 0);
    const cost = costs(dep, before, sent);
    // The actions service writes adherence rows in batches: a moment for the last ones.
    await sleep(5_000);
    const pg = createPgPool({ ...cfg.postgres, poolMax: 1, applicationName: 'careloop-faults' });
    const recorded = new Set((await pg.query<{ id: string }>('SELECT id FROM adherence_events WHERE organization_id = $1', [tenant.organizationId])).rows.map((r) => r.id));
    await pg.end();
    const adherence = outcome.spans.map((r) => ({ name: r.name, f: adherenceFigures(tenant.organizationId, outcome.ledger, r, recorded) }));
    const unexplained = unexplainedRows(tenant.organizationId, outcome.ledger, recorded);
    const clean = outcome.rows.every(rowClean) && adherenceClean(adherence, unexplained);
    const text = [`Fault suite at ${o.rate} msg/s, ${o.patients} patients, ${o.driver}, session timeout ${o.sessionTimeout || 'default'}; started ${started.toISOString()}; ${outcome.reconnects} reconnects; unanswered at the end ${outcome.unansweredAtEnd}`,
      '', faultTable(outcome.rows), '', adherenceTable(adherence, unexplained), '', costTable(cost, sent, loadavg()), '',
      clean ? 'every row clean: 0 lost, 0 visible duplicates, 0 out of order, no adherence row twice' : 'NOT CLEAN: see the rows above'].join('\n');
    console.log(`\n${text}`);
    writeFileSync(file, `${JSON.stringify({ run, options: o, machine: { ...machine, loadAverageEnd: loadavg() }, rows: outcome.rows, adherence, unexplainedAdherenceRows: unexplained, events: outcome.events, cost }, null, 2)}\n`);
    writeFileSync(file.replace(/\.json$/, '.md'), `${text}\n\n${outcome.events.join('\n')}\n`);
    say(`wrote ${file}`);
    return clean ? 0 : 1;
  } finally {
    await dep?.stopAll();
    await cleanupRun(cfg).catch((err: unknown) => say(`cleanup: ${(err as Error).message}`));
    await stack?.down();
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => { console.error('faults: unexpected failure:', err); process.exitCode = 1; },
);
