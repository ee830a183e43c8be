// The help texts, kept apart from the commands so that `--help` loads none of the services.

const AUDIT_HELP = `Usage: careloop audit verify [--org <organizationId>] [--no-anchors]

Walks the hash-chained audit log (every organisation, or one) and checks each row's hash and link,
then checks each chain still holds the row last anchored in the audit.anchors topic (the scheduler
copies chain heads there every audit.anchorInterval), so a chain rewritten or cut short by someone
with database rights is caught too. --no-anchors skips that second check (no Kafka needed).
Exit code 0 when the log is intact; 1 with the first broken row and the reason otherwise.`;

const KEYS_HELP = `Usage: careloop keys rotate-master --new-key-file <file> [--org <organizationId>]

Re-wraps every organisation data key under a new master key, without downtime:
  1. make the new key: openssl rand -base64 32 > new.key (mode 600)
  2. give every running process the new key as trusted: set crypto.previousMasterKeyFile to the
     CURRENT key file and crypto.masterKeyFile to the new one, and restart them one by one; or run
     this command first, since processes that still use the old key keep reading old-wrapped rows;
  3. run this command; it prints how many keys it re-wrapped and is safe to run again;
  4. once every process runs with the new key, drop crypto.previousMasterKeyFile and retire the old key.
--org limits the run to one organisation (a staged rollout).

Usage: careloop keys rotate-org --org <organizationId> [--resume]

Rotates one organisation's data key: a new key version seals everything from now on, and every
patient key and the blind-index key of the organisation are re-wrapped under it, while the services
keep running. Older versions stay (marked retired) to read what was sealed under them (Kafka records,
conversation state) until that data has aged out. Processes pick the new version up within
crypto.keyCacheTtl; run again with --resume after that to re-wrap keys they made meanwhile (it prints
0 when nothing is left). Audited as vault.keys.rotate.

Usage: careloop keys destroy-retired --org <organizationId> [--older-than 31d] [--force]

Destroys the organisation's key versions retired longer ago than --older-than (default 31d, beyond
the longest topic retention): what was sealed under them becomes unreadable (crypto-shredding of old
data). Refused while a patient key is still wrapped by such a version (finish rotate-org --resume
first); shorter ages need --force. Audited as vault.keys.destroy.`;

const WORKFLOW_HELP = `Usage: careloop workflow <validate|simulate|publish> …

  validate <file> [--json] [--languages en,es]
      Checks a workflow. Exit 0 when valid, 1 with problems (file:line:column code message);
      --json prints {"problems":[{"code","message","line","column"}]}.
  simulate <file> <script.json> [--json]
      Runs a scripted conversation (patient messages, signals, a fake clock, expectations) against
      the workflow with the product's intent model; touches no patient. Exit 0 when every
      expectation holds. The script format is in workflows/README.md.
  publish <file> [--org <organizationId>] [--by <author>]
      Stores the workflow as a new version and publishes it: every dialogue instance takes it for
      new conversations; conversations in flight finish on their version. Needs the stack.`;

export const USAGE = `Usage: careloop <command> [options]

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
  reminders show <patientId>  a patient's upcoming reminder occurrences (ids and times, no names)
  variants results --org <id>  the message-variant bandit's results: sends, reward rate, credible interval
  stack up|down|status     manage the local stack (Kafka, schema registry, PostgreSQL, Redis, ClickHouse)
  test [--tier T] [files]  run the tests (brings the stack up for integration tests)
  config [check]           list every configuration key, or check the current configuration

Options for every command:
  --version                print the version
  --config <file>          a JSON config file (also CARELOOP_CONFIG); environment variables CARELOOP_* override it
  --help                   help for the command

Exit codes: 0 done, 1 the command failed, 2 a usage error (unknown command or option), 3 the stack is not running.
Set CARELOOP_DEBUG=1 (config key debug) to print the stack of unexpected errors.

Run \`careloop <command> --help\` for details.`;

/** Help per command; a function where the text needs a module that is slow to load. */
export const HELP: Record<string, string | (() => Promise<string>)> = {
  up: `Usage: careloop up [--no-stack]

Brings the local stack up (installing what is missing on first run), applies topics, schemas and
migrations, seeds the demo organisation, publishes the library programmes for it (workflows/library/,
a new version only when a source changed), starts every service in this process, prints where each
listens, and arms a dose reminder for every demo patient, so the first chat opened gets one.
Ctrl-C stops the services; the stack keeps running (\`careloop stack down\` stops it).
  --no-stack   do not manage the stack; use the configured endpoints as they are`,
  run: async () => {
    const SERVICES = await (await import('./services.js')).loadAllServices();
    return `Usage: careloop run <service|all> [--prepare]

Runs one service, or all of them, in this process until SIGINT/SIGTERM.
  --prepare    apply topics, schemas and migrations first
Services:
${SERVICES.map((s) => `  ${s.name.padEnd(16)} ${s.description}`).join('\n')}`;
  },
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
  workflow: WORKFLOW_HELP,
  // The import's help lives with the command; loading it costs nothing until asked for.
  import: async () => (await import('./fhir-command.js')).IMPORT_HELP,
  keys: KEYS_HELP,
  reminders: async () => (await import('./reminders-command.js')).REMINDERS_HELP,
  variants: async () => (await import('./variants-command.js')).VARIANTS_HELP,
  version: 'Usage: careloop --version\n\nPrints the version of this checkout (package.json).',
  stack: `Usage: careloop stack up|down|status [--only a,b]

  up       install what is missing, start each component, wait until healthy (a running stack is left alone)
  down     stop what \`up\` started
  status   report each component
  --only   limit to components: postgres, redis, clickhouse, kafka, registry
Data and logs live under the stack directory (stack.dir, default .stack/).`,
  test: `Usage: careloop test [--tier unit|int|e2e|all] [--driver kafkajs|rdkafka] [--no-stack] [files...]

Runs the tests with node's test runner from the compiled tree. Integration and end-to-end tiers bring
the local stack up first. Files are test files under the repository (.ts names are accepted).`,
  config: async () => `Usage: careloop config [check]

Without arguments, lists every configuration key with its environment variable, default and meaning.
\`check\` compiles the configuration from the file and environment and prints it, or names the bad key.

Keys:
${(await import('../platform/config/config.js')).describeConfig()}`,
};
