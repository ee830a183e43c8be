import { didYouMean } from '../platform/text/did-you-mean.js';
import { UsageError } from './usage.js';

export type Flags = Map<string, string | true>;

export interface ParsedArgs {
  positional: string[];
  flags: Flags;
}

/**
 * Parses `--flag`, `--flag value`, `--flag=value` and positionals; a flag the command does not
 * declare is an error, so a typo never passes silently.
 */
export function parseArgs(argv: readonly string[], known: Record<string, 'bool' | 'value'>): ParsedArgs {
  const positional: string[] = [];
  const flags: Flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const kind = known[name];
    if (kind === undefined) throw new UsageError(`unknown option --${name}${didYouMean(name, Object.keys(known)).replace('"', '"--')}; see --help`);
    if (kind === 'bool') { flags.set(name, true); continue; }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`option --${name} needs a value`);
    flags.set(name, value);
  }
  return { positional, flags };
}
