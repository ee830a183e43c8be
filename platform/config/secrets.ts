import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from './config.js';
import { CareloopError } from '../errors.js';

/**
 * A base64 secret from config, or from a file; development and test create the file under the
 * stack folder on first use, production refuses to run without one.
 */
export function loadSecret(opts: { value: string; file: string; env: Config['env']; devFile: string; key: string; minBytes: number }): Buffer {
  const decode = (text: string, where: string): Buffer => {
    const secret = Buffer.from(text.trim(), 'base64');
    if (secret.length < opts.minBytes) throw new CareloopError('CONFIG_INVALID', `${where} must be base64 of at least ${opts.minBytes} bytes; make one with: openssl rand -base64 32`);
    return secret;
  };
  if (opts.value !== '') return decode(opts.value, opts.key);
  if (opts.file === '' && opts.env === 'production') throw new CareloopError('CONFIG_INVALID', `production needs ${opts.key} or ${opts.key}File`);
  const file = opts.file !== '' ? opts.file : opts.devFile;
  if (!existsSync(file)) {
    if (opts.file !== '') throw new CareloopError('CONFIG_INVALID', `${opts.key}File ${file} does not exist`);
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process made it first
    }
  }
  return decode(readFileSync(file, 'utf8'), `${opts.key}File ${file}`);
}
