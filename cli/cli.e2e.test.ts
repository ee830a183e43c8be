import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import kafkajs from 'kafkajs';
import { loadConfig } from '../platform/config/config.js';
import { repoRoot } from '../platform/paths.js';
import { createClickHouse } from '../platform/storage/clickhouse.js';
import { uniqueId } from '../test/helpers.js';
import { freePort } from '../test/product.js';

const cli = join(repoRoot(), 'dist/cli/main.js');
const cfgDir = (): string => loadConfig({ env: process.env }).stack.dir;

test('every command answers --help', () => {
  for (const args of [['--help'], ['up', '--help'], ['run', '--help'], ['prepare', '--help'], ['stack', '--help'], ['test', '--help'], ['config', '--help']]) {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /Usage: careloop/);
  }
});

test('usage errors exit 2 and name the nearest command, option or key; --version prints the version', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env });
  for (const [args, message] of [
    [['stak', 'up'], /unknown command "stak"; did you mean "stack"/],
    [['config', 'bogus'], /unknown config command "bogus"/],
    [['stack', '--onyl', 'kafka'], /unknown option --onyl; did you mean "--only"/],
    [['workflow', 'simulat'], /did you mean "simulate"/],
    [['run', 'dialoge'], /did you mean "dialogue"/],
  ] as const) {
    const r = run([...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.equal(run([]).status, 2, 'no command at all');
  const version = (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  assert.equal(run(['--version']).stdout.trim(), version);
  assert.equal(run(['config', 'check'], { ...process.env, CARELOOP_DEBUG: '1' }).status, 0, 'CARELOOP_DEBUG is a real key');
  assert.match(run(['config', 'check'], { ...process.env, CARELOOP_DEBU: '1' }).stderr, /did you mean "CARELOOP_DEBUG"/);
});

test('bin/careloop runs through a symlink, as npx and global installs run it (regression: ensure-built.sh not found)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'careloop-bin-'));
  symlinkSync(join(repoRoot(), 'bin/careloop'), join(dir, 'careloop'));
  const r = spawnSync(join(dir, 'careloop'), ['--help'], { encoding: 'utf8', cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Usage: careloop/);
});

test('workflow simulate refuses a malformed script by name instead of crashing', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'careloop-script-')), 'script.json');
  const flow = join(repoRoot(), 'workflows/library/refill-pickup.flow');
  writeFileSync(file, JSON.stringify({ steps: [{ patient: 'hi' }] }));
  const noLanguage = spawnSync(process.execPath, [cli, 'workflow', 'simulate', flow, file], { encoding: 'utf8' });
  assert.deepEqual([noLanguage.status, /script language: is required/.test(noLanguage.stderr), /INTERNAL/.test(noLanguage.stderr)], [1, true, false], noLanguage.stderr);
  writeFileSync(file, JSON.stringify({ language: 'en', start: '2025-03-03T08:00:00Z', steps: [{ patient: 'hi' }, { expect: { rply: 'x' } }] }));
  const typo = spawnSync(process.execPath, [cli, 'workflow', 'simulate', flow, file], { encoding: 'utf8' });
  assert.equal(typo.status, 1);
  assert.match(typo.stderr, /steps\[1\]\.expect: unknown key "rply"; did you mean "reply"/);
});

test('bad configuration fails fast with a message naming the key', () => {
  const r = spawnSync(process.execPath, [cli, 'run', 'all'], { encoding: 'utf8', env: { ...process.env, CARELOOP_KAFKA_DRIVER: 'java' } });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /CONFIG_INVALID.*kafka\.driver/);
  const typo = spawnSync(process.execPath, [cli, 'prepare'], { encoding: 'utf8', env: { ...process.env, CARELOOP_REDIS_PROT: '1' } });
  assert.equal(typo.status, 1);
  assert.match(typo.stderr, /CARELOOP_REDIS_PROT/);
  const unknown = spawnSync(process.execPath, [cli, 'run', 'nope'], { encoding: 'utf8' });
  assert.equal(unknown.status, 2, 'an unknown service is a usage error');
  assert.match(unknown.stderr, /unknown service "nope"; services: .*analytics-sink/);
});

const prefix = `${uniqueId('e2e')}.`;
const database = uniqueId('careloop_e2e_');
after(async () => {
  const cfg = loadConfig({ env: process.env });
  const admin = new kafkajs.Kafka({ clientId: 'e2e-cleanup', brokers: [...cfg.kafka.brokers], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  await admin.disconnect();
  const ch = createClickHouse(cfg.clickhouse, null);
  await ch.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await ch.close();
});

test('`careloop up` prepares topics, schemas and migrations, starts every service, prints where each listens, and stops on SIGTERM', async () => {
  const [opsPort, apiPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
  const env = {
    ...process.env,
    CARELOOP_KAFKA_TOPIC_PREFIX: prefix, CARELOOP_CLICKHOUSE_DATABASE: database,
    CARELOOP_SERVICES_OPS_PORT: String(opsPort), CARELOOP_SERVICES_API_PORT: String(apiPort), CARELOOP_SERVICES_GATEWAY_PORT: String(gatewayPort), CARELOOP_SERVICES_TWILIO_PORT: String(await freePort()), CARELOOP_LOG_LEVEL: 'warn',
  };
  const child = spawn(process.execPath, [cli, 'up', '--no-stack'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 90_000;
    while (!out.includes('Ctrl-C stops the services') && Date.now() < deadline) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(out, /Careloop is running/, out);
    assert.match(out, /topics: \d+ declared/);
    assert.match(out, new RegExp(`admin API\\s+http://127\\.0\\.0\\.1:${apiPort}`));
    assert.match(out, new RegExp(`health\\s+http://127\\.0\\.0\\.1:${opsPort}/health`));

    const health = await fetch(`http://127.0.0.1:${opsPort}/health`);
    const report = (await health.json()) as { status: string; services: string[]; checks: Record<string, { status: string }> };
    assert.equal(health.status, 200, JSON.stringify(report));
    assert.deepEqual(report.services.sort(), ['actions', 'analytics-sink', 'api', 'booking', 'caregiver-notifier', 'delivery-push', 'delivery-sms', 'delivery-ws', 'dialogue', 'gateway', 'hospital-outbound', 'intent', 'profiling', 'reminder-planner', 'scheduler', 'twilio']);
    for (const dep of ['kafka', 'registry', 'postgres', 'redis', 'clickhouse']) assert.equal(report.checks[dep]?.status, 'ok', dep);
    assert.match(out, new RegExp(`chat page\\s+http://127\\.0\\.0\\.1:${gatewayPort}/`));
    assert.match(await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text(), /careloop_process_cpu/);
    const open = await fetch(`http://127.0.0.1:${apiPort}/v1/version`);
    assert.equal(open.status, 200, '/v1/version is public');
    assert.equal(((await open.json()) as { version: string }).version, JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')).version);
    assert.equal((await fetch(`http://127.0.0.1:${apiPort}/v1/organizations/org_demo/patients`)).status, 401, 'credentials are required elsewhere');
    assert.match(await (await fetch(`http://127.0.0.1:${apiPort}/docs`)).text(), /openapi\.json/, 'the reference page');
    const demo = JSON.parse(readFileSync(join(repoRoot(), cfgDir(), 'demo.json'), 'utf8')) as { adminApiKey: string; patients: unknown[] };
    assert.equal(demo.patients.length, 20);
    const version = await fetch(`http://127.0.0.1:${apiPort}/v1/version`, { headers: { authorization: `Bearer ${demo.adminApiKey}` } });
    assert.equal(version.status, 200);
    const missing = await fetch(`http://127.0.0.1:${apiPort}/v1/nothing-here`);
    assert.deepEqual([missing.status, ((await missing.json()) as { code: string }).code], [404, 'NOT_FOUND']);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, 'a clean shutdown');
});

test('`careloop keys rotate-master` re-wraps an organisation key under a new master key, `keys rotate-org` rotates it, `keys destroy-retired` shreds the old version; `careloop audit verify` checks the chain', async () => {
  const { randomBytes } = await import('node:crypto');
  const { Keyring } = await import('../platform/crypto/keyring.js');
  const { LocalMasterKey } = await import('../platform/crypto/master-key.js');
  const { Dependencies } = await import('../platform/service/dependencies.js');
  const { createLogger } = await import('../platform/log.js');
  const cfg = loadConfig({ env: process.env });
  const deps = new Dependencies(cfg, createLogger({ level: 'silent' }));
  try {
    const org = uniqueId('org_');
    const keyring = await deps.keyring();
    const sealed = await keyring.sealText(org, 'p1', 'CANARY rotation text');
    const newKey = randomBytes(32);
    const file = join(mkdtempSync(join(tmpdir(), 'careloop-key-')), 'new.key');
    writeFileSync(file, newKey.toString('base64'), { mode: 0o600 });
    const r = spawnSync(process.execPath, [cli, 'keys', 'rotate-master', '--new-key-file', file, '--org', org], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /1 data keys re-wrapped/);
    const onlyNew = new Keyring(await deps.postgres(), new LocalMasterKey(newKey), 60_000);
    assert.equal(await onlyNew.openText(org, 'p1', sealed), 'CANARY rotation text', 'the new master key alone reads the re-wrapped key');
    const rotated = spawnSync(process.execPath, [cli, 'keys', 'rotate-org', '--org', org], { encoding: 'utf8' });
    assert.equal(rotated.status, 0, rotated.stderr);
    assert.match(rotated.stdout, new RegExp(`organisation key rotated: now ${org}/v2`));
    const resumed = spawnSync(process.execPath, [cli, 'keys', 'rotate-org', '--org', org, '--resume'], { encoding: 'utf8' });
    assert.match(resumed.stdout, /rotation complete/);
    assert.equal(await onlyNew.openText(org, 'p1', sealed), 'CANARY rotation text', 'text sealed under the old version still opens');
    const destroyed = spawnSync(process.execPath, [cli, 'keys', 'destroy-retired', '--org', org, '--older-than', '0s', '--force'], { encoding: 'utf8' });
    assert.equal(destroyed.status, 0, destroyed.stderr);
    assert.match(destroyed.stdout, new RegExp(`destroyed 1 retired key version: ${org}/v1`));
    await assert.rejects(new Keyring(await deps.postgres(), new LocalMasterKey(newKey), 0).openText(org, 'p1', sealed), /unknown data key/, 'text sealed under the destroyed version is noise');
    const noOrg = spawnSync(process.execPath, [cli, 'keys', 'rotate-org'], { encoding: 'utf8' });
    assert.deepEqual([noOrg.status, /VALIDATION_FAILED: rotate-org needs --org/.test(noOrg.stderr)], [2, true], noOrg.stderr);
    // This organisation's chain only: other tests tamper with (and restore) their own chains meanwhile.
    const audit = spawnSync(process.execPath, [cli, 'audit', 'verify', '--org', org], { encoding: 'utf8' });
    assert.equal(audit.status, 0, audit.stderr);
    assert.match(audit.stdout, new RegExp(`audit chain intact: 3 rows verified for ${org}`), 'the two rotate-org runs and the destroy were audited');
    assert.match(audit.stdout, /anchors match: \d+ organisations? checked against audit\.anchors/);
  } finally {
    await deps.close();
  }
});
