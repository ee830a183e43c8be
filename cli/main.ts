import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../platform/config/config.js';
import { CareloopError } from '../platform/errors.js';
import { repoRoot } from '../platform/paths.js';
import { didYouMean } from '../platform/text/did-you-mean.js';
import type { ComponentStatus } from '../stack/index.js';
import { parseArgs, type Flags } from './args.js';
import { HELP, USAGE } from './help.js';
import { printError, progressPrinter } from './output.js';
import { EXIT, UsageError, unknownWord } from './usage.js';

// Every command module is imported when its command runs, so `--help` and `--version` load none of
// the services (Kafka clients, the NLU model, fastify) and answer at node's start-up speed.

const COMMANDS = ['up', 'run', 'prepare', 'seed', 'token', 'workflow', 'import', 'audit', 'keys', 'reminders', 'variants', 'stack', 'test', 'config', 'help', 'version'];

function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

function version(): string {
  return (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

async function configFrom(flags: Flags): Promise<Config> {
  const { loadConfig } = await import('../platform/config/config.js');
  const file = flags.get('config');
  return loadConfig({ env: process.env, ...(typeof file === 'string' ? { file } : {}) });
}

function str(flags: Flags, name: string): string | undefined {
  const v = flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

function printStatus(statuses: readonly ComponentStatus[]): void {
  for (const s of statuses) {
    const who = s.state !== 'stopped' && !s.startedByUs ? ' (not started by careloop)' : '';
    console.log(`  ${s.name.padEnd(11)} ${s.state.padEnd(10)} ${s.endpoint}${who}${s.detail ? `  ${s.detail}` : ''}`);
    if (s.state === 'unhealthy') console.log(`  ${''.padEnd(11)} log: ${s.logPath}`);
  }
}

/** Exactly one of the verbs, or a usage error that names the nearest one. */
function verbOf(command: string, positional: readonly string[], verbs: readonly string[]): string {
  const verb = positional[0];
  if (verb === undefined) throw new UsageError(`${command} needs ${verbs.join(', ')}; see careloop ${command} --help`);
  if (!verbs.includes(verb)) throw unknownWord(`${command} command`, verb, verbs, `careloop ${command} --help`);
  return verb;
}

async function cmdStack(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, { config: 'value', only: 'value' });
  const verb = verbOf('stack', positional, ['up', 'down', 'status']);
  const cfg = await configFrom(flags);
  const { stackDown, stackStatus, stackUp } = await import('../stack/index.js');
  const only = str(flags, 'only')?.split(',');
  const opts = { repoRoot: repoRoot(), reporter: { progress: progressPrinter() }, ...(only ? { only: only as never } : {}) };
  if (verb === 'up') { printStatus(await stackUp(cfg, opts)); return 0; }
  if (verb === 'down') { printStatus(await stackDown(cfg, opts)); return 0; }
  const statuses = await stackStatus(cfg, opts);
  printStatus(statuses);
  return statuses.every((s) => s.state === 'running') ? 0 : 3;
}

async function cmdPrepare(cfg: Config): Promise<void> {
  const { prepare } = await import('../platform/bootstrap.js');
  const say = progressPrinter();
  const report = await prepare(cfg, (step) => say('prepare', step));
  const changed = report.topics.filter((t) => t.change !== 'unchanged');
  say('prepare', `topics: ${report.topics.length} declared, ${changed.length} changed${changed.length ? ` (${changed.map((t) => `${t.topic} ${t.change}`).join(', ')})` : ''}`);
  say('prepare', `schemas: ${report.subjects} subjects registered (BACKWARD)`);
  say('prepare', `migrations: PostgreSQL ${report.postgresMigrations.length ? report.postgresMigrations.join(', ') : 'up to date'}; ClickHouse ${report.clickhouseMigrations.length ? report.clickhouseMigrations.join(', ') : 'up to date'}`);
}

async function cmdRun(cfg: Config, names: readonly string[], banner: boolean, afterStart?: () => Promise<void>): Promise<number> {
  const { SERVICE_NAMES, loadAllServices, loadService } = await import('./services.js');
  for (const n of names) {
    if (n !== 'all' && !SERVICE_NAMES.includes(n)) throw new UsageError(`unknown service "${n}"${didYouMean(n, [...SERVICE_NAMES, 'all'])}; services: ${SERVICE_NAMES.join(', ')}, or all`);
  }
  const defs = names.length === 1 && names[0] === 'all' ? await loadAllServices()
    : (await Promise.all(names.map((n) => loadService(n)))).filter((d): d is NonNullable<typeof d> => d !== undefined);
  const { createLogger } = await import('../platform/log.js');
  const { runServices } = await import('../platform/service/runner.js');
  const log = createLogger({ level: cfg.debug ? 'debug' : cfg.log.level, pretty: cfg.log.pretty });
  const proc = await runServices(cfg, log, defs);
  // Listen for the stop signal before anything else runs, so a SIGTERM during the demo's set-up
  // still stops the services cleanly instead of killing the process.
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => { resolve(); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  if (banner) {
    // One write, so a reader of the pipe never sees half the banner.
    const lines = ['', 'Careloop is running:', ...proc.endpoints.map((e) => `  ${e.name.padEnd(14)} ${e.url}`), '', 'Ctrl-C stops the services; `careloop stack down` stops the stack.'];
    console.log(lines.join('\n'));
  }
  // The demo's set-up may still be running when the stop comes: stop anyway, and report its failure.
  await Promise.race([afterStart?.().catch((err: unknown) => { log.warn({ err: err instanceof Error ? err.message : String(err) }, 'after-start step failed'); }), stopped]);
  await stopped;
  log.info('stopping');
  await proc.stop();
  return 0;
}

async function cmdUp(rest: string[]): Promise<number> {
  const { flags } = parseArgs(rest, { config: 'value', 'no-stack': 'bool' });
  const cfg = await withBuiltInIssuer(await configFrom(flags), flags);
  if (!flags.has('no-stack')) {
    const { stackUp } = await import('../stack/index.js');
    printStatus(await stackUp(cfg, { repoRoot: repoRoot(), reporter: { progress: progressPrinter() } }));
  }
  await cmdPrepare(cfg);
  const { seedDemo } = await import('./seed.js');
  const { DEMO_ORGANIZATION } = await import('./demo-data.js');
  const demo = await seedDemo(cfg);
  console.log(`Demo: ${demo.patients.length} patients of ${DEMO_ORGANIZATION.displayName}; tokens in .stack/demo.json`);
  const { prepareDemo } = await import('./demo-programmes.js');
  console.log(await prepareDemo(cfg, 'programmes'));
  // Armed once the dialogue runs the programmes, so the first chat opened finds its reminder waiting.
  return cmdRun(cfg, ['all'], true, async () => {
    console.log(await prepareDemo(cfg, 'reminders'));
    if (cfg.idp.enabled) console.log(`Staff portal: ${demo.portalUrl}  (demo sign-in: ${demo.staffSignIn.email} / ${demo.staffSignIn.password})`);
  });
}

/**
 * `careloop up` signs staff in through the built-in OpenID Connect issuer unless the configuration
 * names another (auth.staffIssuer): the API then runs the issuer and accepts its tokens.
 */
async function withBuiltInIssuer(cfg: Config, flags: Flags): Promise<Config> {
  if (cfg.auth.staffIssuer !== '' || cfg.env === 'production') return cfg;
  const { loadConfig } = await import('../platform/config/config.js');
  const { idpIssuerUrl } = await import('../ingest/idp/urls.js');
  const file = flags.get('config');
  const issuer = idpIssuerUrl(cfg);
  return loadConfig({ env: process.env, ...(typeof file === 'string' ? { file } : {}), overrides: { 'idp.enabled': true, 'auth.staffIssuer': issuer, 'auth.staffJwksUrl': `${issuer}/jwks` } });
}

async function cmdWorkflow(rest: string[]): Promise<number> {
  const { positional, flags } = parseArgs(rest, { config: 'value', json: 'bool', languages: 'value', org: 'value', by: 'value' });
  const verb = verbOf('workflow', positional, ['validate', 'simulate', 'publish']);
  const [, a, b] = positional;
  const w = await import('./workflow-commands.js');
  if (verb === 'validate') return w.validateCommand(a, flags.has('json'), str(flags, 'languages')?.split(',') ?? ['en', 'es']);
  if (verb === 'simulate') return w.simulateCommand(a, b, flags.has('json'));
  return w.publishCommand(await configFrom(flags), a, str(flags, 'org'), str(flags, 'by'));
}

async function cmdKeys(rest: string[]): Promise<number> {
  const { positional, flags } = parseArgs(rest, { config: 'value', 'new-key-file': 'value', org: 'value', resume: 'bool', 'older-than': 'value', force: 'bool' });
  const verb = verbOf('keys', positional, ['rotate-master', 'rotate-org', 'destroy-retired']);
  const k = await import('./security-commands.js');
  const cfg = await configFrom(flags);
  if (verb === 'destroy-retired') return k.destroyRetired(cfg, str(flags, 'org'), str(flags, 'older-than'), flags.has('force'));
  if (verb === 'rotate-org') return k.rotateOrganization(cfg, str(flags, 'org'), flags.has('resume'));
  return k.rotateMaster(cfg, str(flags, 'new-key-file'), str(flags, 'org'));
}

async function cmdSeed(rest: string[]): Promise<number> {
  const { flags } = parseArgs(rest, { config: 'value', load: 'value' });
  const { seedDemo, seedLoadPatients } = await import('./seed.js');
  const load = str(flags, 'load');
  if (load !== undefined) {
    const count = Number(load);
    if (!Number.isInteger(count) || count < 1 || count > 1_000_000) throw new UsageError('--load takes a whole number from 1 to 1000000');
    console.log(`Wrote ${count} load-test patients to ${await seedLoadPatients(await configFrom(flags), count)}`);
    return 0;
  }
  const { DEMO_ORGANIZATION } = await import('./demo-data.js');
  const demo = await seedDemo(await configFrom(flags));
  console.log(`Seeded ${demo.patients.length} demo patients of ${DEMO_ORGANIZATION.displayName}; wrote .stack/demo.json`);
  return 0;
}

async function cmdToken(rest: string[]): Promise<number> {
  const { positional, flags } = parseArgs(rest, { config: 'value', org: 'value' });
  const patientId = positional[0];
  if (patientId === undefined) throw new UsageError('token needs a patient id; see careloop token --help');
  const cfg = await configFrom(flags);
  const { DEMO_ORGANIZATION } = await import('./demo-data.js');
  const { createPgPool } = await import('../platform/storage/postgres.js');
  const { sessionSecret } = await import('../platform/auth/secrets.js');
  const { issueSessionToken } = await import('../platform/auth/session-tokens.js');
  const organizationId = str(flags, 'org') ?? DEMO_ORGANIZATION.id;
  const pool = createPgPool({ ...cfg.postgres, poolMax: 1, applicationName: 'careloop-token' });
  try {
    const { rowCount } = await pool.query('SELECT 1 FROM patients WHERE id = $1 AND organization_id = $2 AND status <> \'erased\'', [patientId, organizationId]);
    if (rowCount === 0) throw new CareloopError('NOT_FOUND', `no patient ${patientId} in organisation ${organizationId}`);
  } finally {
    await pool.end();
  }
  console.log(await issueSessionToken({ organizationId, patientId, ttlMs: cfg.auth.sessionTtl }, sessionSecret(cfg)));
  return 0;
}

async function dispatch(command: string, rest: string[]): Promise<number> {
  switch (command) {
    case 'stack': return cmdStack(rest);
    case 'config': {
      const { positional, flags } = parseArgs(rest, { config: 'value' });
      if (positional.length === 0) { console.log(await (HELP['config'] as () => Promise<string>)()); return 0; }
      verbOf('config', positional, ['check']);
      console.log(JSON.stringify(await configFrom(flags), null, 2));
      return 0;
    }
    case 'prepare': {
      const { flags } = parseArgs(rest, { config: 'value' });
      await cmdPrepare(await configFrom(flags));
      return 0;
    }
    case 'run': {
      const { positional, flags } = parseArgs(rest, { config: 'value', prepare: 'bool' });
      if (positional.length === 0) throw new UsageError('run needs a service name or all; see careloop run --help');
      const cfg = await configFrom(flags);
      if (flags.has('prepare')) await cmdPrepare(cfg);
      return cmdRun(cfg, positional, true);
    }
    case 'up': return cmdUp(rest);
    case 'workflow': return cmdWorkflow(rest);
    case 'import': {
      const { positional, flags } = parseArgs(rest, { config: 'value', org: 'value', 'dry-run': 'bool', rejects: 'value', concurrency: 'value', 'unit-size': 'value', 'no-signals': 'bool', json: 'bool' });
      verbOf('import', positional, ['fhir']);
      const { importFhirCommand } = await import('./fhir-command.js');
      return importFhirCommand(await configFrom(flags), positional.slice(1), flags);
    }
    case 'audit': {
      const { positional, flags } = parseArgs(rest, { config: 'value', org: 'value', 'no-anchors': 'bool' });
      verbOf('audit', positional, ['verify']);
      const { auditVerify } = await import('./security-commands.js');
      return auditVerify(await configFrom(flags), str(flags, 'org'), !flags.has('no-anchors'));
    }
    case 'keys': return cmdKeys(rest);
    case 'reminders': {
      const { positional, flags } = parseArgs(rest, { config: 'value', from: 'value', limit: 'value', json: 'bool' });
      verbOf('reminders', positional, ['show']);
      const { remindersShow } = await import('./reminders-command.js');
      return remindersShow(await configFrom(flags), positional[1], { from: str(flags, 'from'), limit: str(flags, 'limit'), json: flags.has('json') });
    }
    case 'variants': {
      const { positional, flags } = parseArgs(rest, { config: 'value', org: 'value', json: 'bool' });
      verbOf('variants', positional, ['results']);
      const { variantsResults } = await import('./variants-command.js');
      return variantsResults(await configFrom(flags), str(flags, 'org'), flags.has('json'));
    }
    case 'seed': return cmdSeed(rest);
    case 'token': return cmdToken(rest);
    case 'test': {
      const { positional, flags } = parseArgs(rest, { config: 'value', tier: 'value', driver: 'value', 'no-stack': 'bool' });
      const { runTests } = await import('./test-command.js');
      return runTests(await configFrom(flags), { files: positional, tier: str(flags, 'tier') ?? 'all', driver: str(flags, 'driver'), stack: !flags.has('no-stack') });
    }
    case 'version': console.log(version()); return 0;
    default: throw unknownWord('command', command, COMMANDS, 'careloop --help');
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V') { console.log(version()); return 0; }
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    // `careloop help run` is `careloop run --help`.
    if (command === 'help' && rest[0] !== undefined) return main([rest[0], '--help']);
    console.log(USAGE);
    return command === undefined ? EXIT.usage : 0;
  }
  if (command.startsWith('-')) throw new UsageError(`unknown option ${command}; see careloop --help`);
  if (wantsHelp(rest)) {
    const text = HELP[command];
    if (text === undefined) throw unknownWord('command', command, COMMANDS, 'careloop --help');
    console.log(typeof text === 'string' ? text : await text());
    return 0;
  }
  return dispatch(command, rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    printError(err);
    const code = err instanceof UsageError ? EXIT.usage : EXIT.failed;
    process.exitCode = code;
    // A half-started process may still hold sockets; do not let them keep a failed command alive.
    setTimeout(() => process.exit(code), 2000).unref();
  },
);
