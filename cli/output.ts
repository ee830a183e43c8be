import { isCareloopError, normalizeError } from '../platform/errors.js';

/** Prints an error for a person: the code, the message (which says what to do) and no stack trace. */
export function printError(err: unknown): void {
  const e = normalizeError(err);
  console.error(`careloop: error ${e.code}: ${e.message}`);
  if (!isCareloopError(err) && process.env['CARELOOP_DEBUG'] !== undefined) console.error(err);
}

/** A progress line with the elapsed time, so long operations show they are moving. */
export function progressPrinter(): (component: string, message: string) => void {
  const started = Date.now();
  return (component, message) => {
    const t = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
    console.log(`[${t}s] ${component.padEnd(10)} ${message}`);
  };
}
