/**
 * Chat load harness: N patient WebSocket connections, an open-loop message schedule with a
 * realistic intent mix, ack and reply latency, errors and lost replies, as text and JSON.
 * `node dist/perf/load-harness.js --help` explains the flags; perf/README.md how to run it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { CareloopError } from '../platform/errors.js';
import { repoRoot } from '../platform/paths.js';
import { parseOptions, USAGE, type HarnessOptions } from './chat-load/options.js';
import { buildResult, formatReport, type LeftOut } from './chat-load/report.js';
import { probePatients, type ProbeResult } from './chat-load/probe.js';
import { runLoad, type Patient } from './chat-load/run.js';

const EXIT_USAGE = 2;
const EXIT_NO_CONNECTION = 3;
const PROBE_TIMEOUT_MS = 10_000;

interface Target { url: string; patients: Patient[] }

/** Reads gatewayUrl and patients[{id, token}] from the demo file written by `careloop seed`. */
function loadTarget(opts: HarnessOptions): Target {
  let demo: unknown;
  try {
    demo = JSON.parse(readFileSync(opts.demoFile, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist (run "careloop seed" first, or pass --demo-file)' : `cannot be read: ${(err as Error).message}`;
    throw new CareloopError('VALIDATION_FAILED', `demo file ${opts.demoFile} ${why}`);
  }
  const d = (demo ?? {}) as { gatewayUrl?: unknown; patients?: unknown };
  const url = opts.url ?? (typeof d.gatewayUrl === 'string' ? d.gatewayUrl : null);
  if (url === null) throw new CareloopError('VALIDATION_FAILED', `demo file ${opts.demoFile} has no gatewayUrl; pass --url`);
  const patients = Array.isArray(d.patients)
    ? d.patients.filter((p): p is Patient => p !== null && typeof p === 'object' && typeof (p as Patient).id === 'string' && typeof (p as Patient).token === 'string')
    : [];
  if (patients.length === 0) throw new CareloopError('VALIDATION_FAILED', `demo file ${opts.demoFile} has no patients with a token`);
  return { url, patients };
}

function failures(failed: Record<string, string>): string {
  const byReason = new Map<string, number>();
  for (const reason of Object.values(failed)) byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  return [...byReason].map(([reason, n]) => `${reason} ×${n}`).join(', ');
}

/**
 * The patients the load goes to: those that answered the probe. When none answered but some were
 * acked, the pipeline behind the gateway is down or behind, and the run itself should show it: all
 * go. Null when no patient could even connect.
 */
function choosePatients(target: Target, probe: ProbeResult): { patients: Patient[]; leftOut: LeftOut[] } | null {
  if (probe.answering.length > 0) {
    const leftOut = [
      ...probe.silent.map((id) => ({ id, why: 'acked, no reply to the probe: opted out? send START from the chat page' })),
      ...Object.entries(probe.failed).map(([id, why]) => ({ id, why })),
    ];
    if (leftOut.length > 0) console.log(`probe: ${probe.answering.length}/${target.patients.length} patients answer; leaving out ${leftOut.map((p) => `${p.id} (${p.why})`).join(', ')}`);
    return { patients: probe.answering, leftOut };
  }
  if (probe.silent.length > 0) {
    console.log(`probe: no patient got a reply within ${PROBE_TIMEOUT_MS / 1000} s (pipeline down, or still working off a backlog?); loading all ${target.patients.length} anyway`);
    return { patients: target.patients, leftOut: [] };
  }
  return null;
}

async function main(argv: readonly string[]): Promise<number> {
  const root = repoRoot();
  let opts: HarnessOptions | 'help';
  let target: Target;
  try {
    opts = parseOptions(argv, root, process.cwd(), new Date());
    if (opts === 'help') { console.log(USAGE); return 0; }
    target = loadTarget(opts);
  } catch (err) {
    if (!(err instanceof CareloopError)) throw err;
    console.error(`load-harness: ${err.message}\nRun with --help for the options.`);
    return EXIT_USAGE;
  }
  const probe = await probePatients(target.url, target.patients, PROBE_TIMEOUT_MS);
  const chosen = choosePatients(target, probe);
  if (chosen === null) {
    console.error(`load-harness: could not open any connection to ${target.url} (${failures(probe.failed)}); is the gateway running ("careloop run all") and the demo file fresh ("careloop seed")?`);
    return EXIT_NO_CONNECTION;
  }
  const startedAt = new Date();
  const outcome = await runLoad({
    url: target.url, patients: chosen.patients, connections: opts.connections, rate: opts.rate,
    warmupMs: opts.warmupMs, durationMs: opts.durationMs, drainMs: opts.drainMs, seed: opts.seed,
  }, (line) => console.log(line));
  if (outcome.connected === 0) {
    const why = Object.entries(outcome.connectFailures).map(([reason, n]) => `${reason} ×${n}`).join(', ');
    console.error(`load-harness: could not open any connection to ${target.url} (${why}); is the gateway running ("careloop run all") and the demo file fresh ("careloop seed")?`);
    return EXIT_NO_CONNECTION;
  }
  const doc = buildResult(opts, target.url, chosen.patients.length, chosen.leftOut, startedAt, outcome);
  console.log(formatReport(doc));
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(doc, null, 2)}\n`);
  const shown = relative(process.cwd(), opts.out);
  console.log(`\nwrote ${shown.startsWith('..') || shown === '' ? opts.out : shown}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => { console.error('load-harness: unexpected failure:', err); process.exitCode = 1; },
);
