import { existsSync, readFileSync } from 'node:fs';
import { CareloopError } from '../platform/errors.js';
import type { ComponentName } from './types.js';

/** The last `lines` lines of a log, or a note that it is missing. */
export function tailFile(path: string, lines = 20): string {
  if (!existsSync(path)) return '(no log written yet)';
  const text = readFileSync(path, 'utf8');
  return text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1).slice(-lines).join('\n');
}

/**
 * The one error the stack throws: it names the component, what went wrong, what to do next and
 * where the log is, with the log's tail so CI output alone is enough to diagnose it.
 */
export function stackFailed(component: ComponentName | 'stack', problem: string, nextStep: string, logPath: string, cause?: unknown): CareloopError {
  const message = [
    `${component}: ${problem}`,
    `next: ${nextStep}`,
    `log: ${logPath}`,
    `--- last lines of ${logPath} ---`,
    tailFile(logPath),
  ].join('\n');
  return new CareloopError('STACK_FAILED', message, { cause, details: { component, logPath } });
}
