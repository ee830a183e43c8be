import { CareloopError } from '../platform/errors.js';
import { didYouMean } from '../platform/text/did-you-mean.js';

/** Exit codes: 0 done, 1 the command failed, 2 the command line was wrong (the Unix convention), 3 stack not running. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A mistake on the command line (unknown command or option, missing argument): exit code 2. */
export class UsageError extends CareloopError {
  constructor(message: string) {
    super('VALIDATION_FAILED', message);
    this.name = 'UsageError';
  }
}

/** "unknown <what> "x"; did you mean "y"?" with the command's help as the fallback hint. */
export function unknownWord(what: string, word: string, known: readonly string[], help: string): UsageError {
  return new UsageError(`unknown ${what} "${word}"${didYouMean(word, known)}; see ${help}`);
}
