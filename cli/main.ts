import { loadConfig, describeConfig, type Config } from '../platform/config/config.js';
import { CareloopError } from '../platform/errors.js';
import { createLogger } from '../platform/log.js';
import { prepare } from '../platform/bootstrap.js';
import { repoRoot } from '../platform/paths.js';
import { runServices } from '../platform/service/runner.js';
import { stackDown, stackStatus, stackUp, type ComponentStatus } from '../stack/index.js';
import { parseArgs } from './args.js';
import { printError, progressPrinter } from './output.js';
import { SERVICES, findService } from './services.js';
import { runTests } from './test-command.js';
import { AUDIT_HELP, KEYS_HELP, auditVerify, destroyRetired, rotateMaster, rotateOrganization } from './security-commands.js';
import { IMPORT_HELP, importFhirCommand } from './fhir-command.js';
import { WORKFLOW_HELP, publishCommand, simulateCommand, validateCommand } from './workflow-commands.js';
import { seedDemo, seedLoadPatients } from './seed.js';
import { DEMO_ORGANIZATION } from './demo-data.js';
import { sessionSecret } from '../platform/auth/secrets.js';
import { issueSessionToken } from '../platform/auth/session-tokens.js';
import { createPgPool } from '../platform/storage/postgres.js';

const USAGE = `Usage: careloop <command> [options]

Commands:
  up                       bring the local stack up, prepare it and run every service (the two-command start)
  run <service|all>        run one service, or every service in this process
  prepare                  apply Kafka topics, register Avro schemas, run PostgreSQL and ClickHouse migrations
  seed                     (re)create the demo organisation and its 20 patients; writes .stack/demo.json
  token <patientId>        mint a fresh session token for a patient
  workflow validate|simulate|publish   check, try and publish an organisation's workflow
  import fhir <file|dir>... --org <id>  import FHIR R4 Bundles and NDJSON (validated, matched, rejects explained)
  audit verify             check the hash-chained audit log for tampering
  keys rotate-master       re-wrap every data key under a new master key
  keys rotate-org          rotate one organisation's data key and re-wrap its patient keys
  keys destroy-retired     destroy an organisation's long-retired key versions (crypto-shreds old data)
  stack up|down|status     manage the local stack (Kafka, schema registry, PostgreSQL, Redis, ClickHouse)
  test [--tier T] [files]  run the tests (brings the stack up for integration tests)
  config [check]           list every configuration key, or check the current configuration

Options for every command:
  --config <file>          a JSON config file (also CARELOOP_CONFIG); environment variables CARELOOP_* override it
  --help                   help for the command

Run \`careloop <command> --help\` for details.`;

const HELP: Record<string, string> = {
  up: `Usage: careloop up [--no-stack]

Brings the local stack up (installing what is missing on first run), applies topics, schemas and
migrations, starts every service in this process and prints where each listens. Ctrl-C stops the
services; the stack keeps running (\`careloop stack down\` stops it).
  --no-stack   do not manage the stack; use the configured endpoints as they are`,
  run: `Usage: careloop run <service|all> [--prepare]

Runs one service, or all of them, in this process until SIGINT/SIGTERM.
  --prepare    apply topics, schemas and migrations first
Services:
${SERVICES.map((s) => `  ${s.name.padEnd(16)} ${s.description}`).join('\n')}`,
  prepare: `Usage: careloop prepare

Applies Kafka topics (topics as code), registers every Avro schema with BACKWARD compatibility and
runs pending PostgreSQL and ClickHouse migrations. Idempotent: a second run changes nothing.`,
  seed: `Usage: careloop seed [--load <count>]

Creates (or resets) the demo organisation "Sunrise Family Clinic" with 20 demo patients, their
medications and schedules, mints a session token for each and writes .stack/demo.json with the keys
organizationId, adminApiKey, apiUrl, gatewayUrl, chatPageUrl and patients [{id, token, label}].
  --load <count>   instead, create <count> load-test patients (care plans only) and write
                   .stack/load.json in the same format, for perf/load-harness --demo-file.`,
  token: `Usage: careloop token <patientId> [--org <organizationId>]

Prints a fresh session token (valid for auth.sessionTtl) for a patient of the organisation
(default: the demo organisation). Use it as ?token=… on the chat page or as Authorization: Bearer.`,
  audit: AUDIT_HELP,
  import: IMPORT_HELP,
  workflow: WORKFLOW_HELP,
  keys: KEYS_HELP,
  stack: `Usage: careloop stack up|down|status [--only a,b]

  up       install what is missing, start each component, wait until healthy (a running stack is left alone)
  down     stop what \`up\` started
  status   report each component
  --only   limit to components: postgres, redis, clickhouse, kafka, registry
Data and logs live under the stack directory (stack.dir, default .stack/).`,
  test: `Usage: careloop test [--tier unit|int|e2e|all] [--driver kafkajs|rdkafka] [--no-stack] [files...]

Runs the tests with node's test runner from the compiled tree. Integration and end-to-end tiers bring
the local stack up first. Files are test files under the repository (.ts names are accepted).`,
  config: `Usage: careloop config [check]

Without arguments, lists every configuration key with its environment variable, default and meaning.
\`check\` compiles the configuration from the file and environment and prints it, or names the bad key.

Keys:
${describeConfig()}`,
};

function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

function configFrom(flags: Map<string, string | true>): Config {
  const file = flags.get('config');
  return loadConfig({ env: process.env, ...(typeof file === 'string' ? { file } : {}) });
}

function printStatus(statuses: readonly ComponentStatus[]): void {
  for (const s of statuses) {
    const who = s.state !== 'stopped' && !s.startedByUs ? ' (not started by careloop)' : '';
    console.log(`  ${s.name.padEnd(11)} ${s.state.padEnd(10)} ${s.endpoint}${who}${s.detail ? `  ${s.detail}` : ''}`);
    if (s.state === 'unhealthy') console.log(`  ${''.padEnd(11)} log: ${s.logPath}`);
  }
}

async function cmdStack(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, { config: 'value', only: 'value' });
  const cfg = configFrom(flags);
  const only = typeof flags.get('only') === 'string' ? (flags.get('only') as string).split(',') : undefined;
  const opts = { repoRoot: repoRoot(), reporter: { progress: progressPrinter() }, ...(only ? { only: only as never } : {}) };
  switch (positional[0]) {
    case 'up': printStatus(await stackUp(cfg, opts)); return 0;
    case 'down': printStatus(await stackDown(cfg, opts)); return 0;
    case 'status': {
      const statuses = await stackStatus(cfg, opts);
      printStatus(statuses);
      return statuses.every((s) => s.state === 'running') ? 0 : 3;
    }
    case undefined:
    default: throw new CareloopError('VALIDATION_FAILED', `stack needs up, down or status; see careloop stack --help`);
  }
}

async function cmdPrepare(cfg: Config): Promise<void> {
  const say = progressPrinter();
  const report = await prepare(cfg, (step) => say('prepare', step));
  const changed = report.topics.filter((t) => t.change !== 'unchanged');
  say('prepare', `topics: ${report.topics.length} declared, ${changed.length} changed${changed.length ? ` (${changed.map((t) => `${t.topic} ${t.change}`).join(', ')})` : ''}`);
  say('prepare', `schemas: ${report.subjects} subjects registered (BACKWARD)`);
  say('prepare', `migrations: PostgreSQL ${report.postgresMigrations.length ? report.postgresMigrations.join(', ') : 'up to date'}; ClickHouse ${report.clickhouseMigrations.length ? report.clickhouseMigrations.join(', ') : 'up to date'}`);
}

async function cmdRun(cfg: Config, names: readonly string[], banner: boolean): Promise<number> {
  const defs = names.length === 1 && names[0] === 'all' ? SERVICES : names.map((n) => {
    const def = findService(n);
    if (def === undefined) throw new CareloopError('VALIDATION_FAILED', `unknown service "${n}"; services: ${SERVICES.map((s) => s.name).join(', ')}, or all`);
    return def;
  });
  const log = createLogger({ level: cfg.log.level });
  const proc = await runServices(cfg, log, defs);
  if (banner) {
    // One write, so a reader of the pipe never sees half the banner.
    const lines = ['', 'Careloop is running:', ...proc.endpoints.map((e) => `  ${e.name.padEnd(14)} ${e.url}`), '', 'Ctrl-C stops the services; `careloop stack down` stops the stack.'];
    console.log(lines.join('\n'));
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => { resolve(); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log.info('stopping');
  await proc.stop();
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (wantsHelp(rest)) {
    const text = HELP[command];
    if (text === undefined) throw new CareloopError('VALIDATION_FAILED', `unknown command "${command}"; see careloop --help`);
    console.log(text);
    return 0;
  }
  switch (command) {
    case 'stack': return cmdStack(rest);
    case 'config': {
      const { positional, flags } = parseArgs(rest, { config: 'value' });
      if (positional[0] === 'check') { console.log(JSON.stringify(configFrom(flags), null, 2)); return 0; }
      console.log(HELP['config']);
      return 0;
    }
    case 'prepare': {
      const { flags } = parseArgs(rest, { config: 'value' });
      await cmdPrepare(configFrom(flags));
      return 0;
    }
    case 'run': {
      const { positional, flags } = parseArgs(rest, { config: 'value', prepare: 'bool' });
      const cfg = configFrom(flags);
      if (positional.length === 0) throw new CareloopError('VALIDATION_FAILED', 'run needs a service name or all; see careloop run --help');
      if (flags.has('prepare')) await cmdPrepare(cfg);
      return cmdRun(cfg, positional, true);
    }
    case 'up': {
      const { flags } = parseArgs(rest, { config: 'value', 'no-stack': 'bool' });
      const cfg = configFrom(flags);
      if (!flags.has('no-stack')) {
        printStatus(await stackUp(cfg, { repoRoot: repoRoot(), reporter: { progress: progressPrinter() } }));
      }
      await cmdPrepare(cfg);
      const demo = await seedDemo(cfg);
      console.log(`Demo: ${demo.patients.length} patients of ${DEMO_ORGANIZATION.displayName}; tokens in .stack/demo.json`);
      return cmdRun(cfg, ['all'], true);
    }
    case 'workflow': {
      const { positional, flags } = parseArgs(rest, { config: 'value', json: 'bool', languages: 'value', org: 'value', by: 'value' });
      const [verb, a, b] = positional;
      switch (verb) {
        case 'validate': return validateCommand(a, flags.has('json'), typeof flags.get('languages') === 'string' ? (flags.get('languages') as string).split(',') : ['en', 'es']);
        case 'simulate': return simulateCommand(a, b, flags.has('json'));
        case 'publish': return publishCommand(configFrom(flags), a, flags.get('org') as string | undefined, flags.get('by') as string | undefined);
        case undefined:
        default: throw new CareloopError('VALIDATION_FAILED', 'workflow needs validate, simulate or publish; see careloop workflow --help');
      }
    }
    case 'import': {
      const { positional, flags } = parseArgs(rest, { config: 'value', org: 'value', 'dry-run': 'bool', rejects: 'value', concurrency: 'value', 'unit-size': 'value', 'no-signals': 'bool', json: 'bool' });
      if (positional[0] !== 'fhir') throw new CareloopError('VALIDATION_FAILED', 'import needs fhir; see careloop import --help');
      return importFhirCommand(configFrom(flags), positional.slice(1), flags);
    }
    case 'audit': {
      const { positional, flags } = parseArgs(rest, { config: 'value', org: 'value', 'no-anchors': 'bool' });
      if (positional[0] !== 'verify') throw new CareloopError('VALIDATION_FAILED', 'audit needs verify; see careloop audit --help');
      return auditVerify(configFrom(flags), flags.get('org') as string | undefined, !flags.has('no-anchors'));
    }
    case 'keys': {
      const { positional, flags } = parseArgs(rest, { config: 'value', 'new-key-file': 'value', org: 'value', resume: 'bool', 'older-than': 'value', force: 'bool' });
      if (positional[0] === 'destroy-retired') return destroyRetired(configFrom(flags), flags.get('org') as string | undefined, flags.get('older-than') as string | undefined, flags.has('force'));
      if (positional[0] === 'rotate-org') return rotateOrganization(configFrom(flags), flags.get('org') as string | undefined, flags.has('resume'));
      if (positional[0] !== 'rotate-master') throw new CareloopError('VALIDATION_FAILED', 'keys needs rotate-master, rotate-org or destroy-retired; see careloop keys --help');
      return rotateMaster(configFrom(flags), flags.get('new-key-file') as string | undefined, flags.get('org') as string | undefined);
    }
    case 'seed': {
      const { flags } = parseArgs(rest, { config: 'value', load: 'value' });
      const load = flags.get('load');
      if (typeof load === 'string') {
        const count = Number(load);
        if (!Number.isInteger(count) || count < 1 || count > 1_000_000) throw new CareloopError('VALIDATION_FAILED', '--load takes a whole number from 1 to 1000000');
        console.log(`Wrote ${count} load-test patients to ${await seedLoadPatients(configFrom(flags), count)}`);
        return 0;
      }
      const demo = await seedDemo(configFrom(flags));
      console.log(`Seeded ${demo.patients.length} demo patients of ${DEMO_ORGANIZATION.displayName}; wrote .stack/demo.json`);
      return 0;
    }
    case 'token': {
      const { positional, flags } = parseArgs(rest, { config: 'value', org: 'value' });
      const cfg = configFrom(flags);
      const patientId = positional[0];
      if (patientId === undefined) throw new CareloopError('VALIDATION_FAILED', 'token needs a patient id; see careloop token --help');
      const organizationId = typeof flags.get('org') === 'string' ? flags.get('org') as string : DEMO_ORGANIZATION.id;
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
    case 'test': {
      const { positional, flags } = parseArgs(rest, { config: 'value', tier: 'value', driver: 'value', 'no-stack': 'bool' });
      return runTests(configFrom(flags), { files: positional, tier: (flags.get('tier') as string | undefined) ?? 'all', driver: flags.get('driver') as string | undefined, stack: !flags.has('no-stack') });
    }
    default:
      throw new CareloopError('VALIDATION_FAILED', `unknown command "${command}"; see careloop --help`);
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    printError(err);
    process.exitCode = 1;
    // A half-started process may still hold sockets; do not let them keep a failed command alive.
    setTimeout(() => process.exit(1), 2000).unref();
  },
);
