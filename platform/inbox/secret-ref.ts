import { readFileSync } from 'node:fs';
import { CareloopError } from '../errors.js';

/**
 * An organisation's webhook secret is stored by reference, never by value: `env:NAME` (a variable
 * of the process, not CARELOOP_*: those are configuration keys) or `file:/path` (a mounted secret).
 * Resolved at each use, so a rotated secret is picked up without a restart.
 */
export function resolveSecretRef(ref: string, env: Readonly<Record<string, string | undefined>> = process.env): Buffer {
  const m = /^(env|file):(.+)$/.exec(ref);
  if (m === null) throw new CareloopError('CONFIG_INVALID', 'webhook secret reference must be env:NAME or file:/path', { details: { reason: 'bad_reference' } });
  const [, scheme, target] = m as unknown as [string, 'env' | 'file', string];
  let text: string | undefined;
  if (scheme === 'env') text = env[target];
  else {
    try { text = readFileSync(target, 'utf8'); } catch { text = undefined; }
  }
  // The message names the reference, never the value.
  if (text === undefined || text.trim().length < 16) throw new CareloopError('CONFIG_INVALID', `webhook secret ${ref} is missing or shorter than 16 characters`, { details: { reason: 'secret_unavailable' } });
  return Buffer.from(text.trim(), 'utf8');
}

export function isSecretRef(ref: string): boolean {
  return /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/.test(ref) && !ref.startsWith('env:CARELOOP_');
}
