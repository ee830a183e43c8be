import { normalizeError, type CareloopError } from '../errors.js';

/**
 * Runs `round` every `everyMs`, never two at once (a tick while the last round still runs is
 * skipped); a failed round goes to `onError` and the next tick tries again. `immediately` also runs
 * one round now. Returns the interval, for clearInterval at stop.
 */
export function everyRound(everyMs: number, round: () => Promise<unknown>, onError: (err: CareloopError) => void, immediately = false): NodeJS.Timeout {
  let busy = false;
  const run = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      await round();
    } catch (err) {
      onError(normalizeError(err));
    } finally {
      busy = false;
    }
  };
  if (immediately) void run();
  return setInterval(() => { void run(); }, everyMs);
}
