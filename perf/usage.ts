/**
 * `--help` for the perf scripts. Call `handleHelp(USAGE)` as the first statement after a script's
 * imports: with -h or --help it prints the usage to stdout and exits 0 before the script connects
 * to anything or writes a file. ESM evaluates the imports first, so those must do no work on import
 * (perf's imports only declare). With `flags` (scripts that read their flags by hand) any other
 * `--flag` is refused with exit status 2. Arguments after a lone `--` belong to something else
 * (import-bench passes them to `careloop import fhir`) and are not looked at.
 */
import { basename, dirname } from 'node:path';

export interface HelpOptions {
  /**
   * The flags the script reads by hand, e.g. ['--rate', '--duration']; [] for positional arguments
   * only. Omitted: flags are not checked here (node:util parseArgs with strict checks them itself).
   */
  flags?: readonly string[];
}

export type HelpRequest = { kind: 'run' } | { kind: 'help' } | { kind: 'usage-error'; message: string };

/** What the arguments ask for: the usage, a usage error (an unknown flag), or the run itself. */
export function helpRequest(argv: readonly string[], opts: HelpOptions = {}): HelpRequest {
  const end = argv.indexOf('--');
  const own = end < 0 ? argv : argv.slice(0, end);
  if (own.some((a) => a === '-h' || a === '--help')) return { kind: 'help' };
  if (opts.flags === undefined) return { kind: 'run' };
  for (const a of own) {
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    if (!opts.flags.includes(name)) {
      const known = opts.flags.length === 0 ? 'it takes positional arguments only' : `it knows ${opts.flags.join(', ')}`;
      return { kind: 'usage-error', message: `unknown flag ${name} (${known})` };
    }
    // The hand-written parsers look for the flag and the next argument: "--rate=5" would be ignored.
    if (eq >= 0) return { kind: 'usage-error', message: `write "${name} ${a.slice(eq + 1)}", not "${a}"` };
  }
  return { kind: 'run' };
}

/** Prints the usage and exits 0 on -h/--help; prints the error and exits 2 on an unknown flag. */
export function handleHelp(usage: string, opts: HelpOptions = {}, argv: readonly string[] = process.argv.slice(2)): void {
  const r = helpRequest(argv, opts);
  if (r.kind === 'help') {
    process.stdout.write(usage.endsWith('\n') ? usage : `${usage}\n`);
    process.exit(0);
  }
  if (r.kind === 'usage-error') {
    const script = process.argv[1] === undefined ? 'perf' : `${basename(dirname(process.argv[1]))}/${basename(process.argv[1], '.js')}`;
    process.stderr.write(`${script}: ${r.message}\nRun with --help for the usage.\n`);
    process.exit(2);
  }
}
