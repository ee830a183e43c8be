import { isCareloopError, normalizeError } from '../platform/errors.js';

/** Prints an error for a person: the code, the message (which says what to do) and no stack trace. */
export function printError(err: unknown): void {
  const e = normalizeError(err);
  console.error(`careloop: error ${e.code}: ${e.message}`);
  if (!isCareloopError(err) && debugEnabled(process.env)) console.error(err);
}

/**
 * The `debug` config key (CARELOOP_DEBUG), read here without compiling the whole configuration,
 * because the error being printed may be that the configuration does not compile.
 */
export function debugEnabled(env: Record<string, string | undefined>): boolean {
  return ['1', 'true', 'yes', 'on'].includes((env['CARELOOP_DEBUG'] ?? '').toLowerCase());
}

/** A progress line with the elapsed time, so long operations show they are moving. */
export function progressPrinter(): (component: string, message: string) => void {
  const started = Date.now();
  return (component, message) => {
    const t = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
    console.log(`[${t}s] ${component.padEnd(10)} ${message}`);
  };
}
