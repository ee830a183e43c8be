import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import webpush from 'web-push';
import type { Config } from '../config/config.js';
import { CareloopError } from '../errors.js';
import { repoRoot } from '../paths.js';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

function parse(text: string, where: string): VapidKeys {
  const k = JSON.parse(text) as Partial<VapidKeys>;
  if (typeof k.publicKey !== 'string' || typeof k.privateKey !== 'string') throw new CareloopError('CONFIG_INVALID', `${where} must hold {"publicKey","privateKey"} (web-push generate-vapid-keys --json)`);
  return { publicKey: k.publicKey, privateKey: k.privateKey };
}

/**
 * The Web Push VAPID key pair from push.vapidKeyFile; development and test make one under the stack
 * folder on first use; production without a file has Web Push off (null).
 */
export function loadVapidKeys(cfg: Config): VapidKeys | null {
  if (cfg.push.vapidKeyFile !== '') {
    if (!existsSync(cfg.push.vapidKeyFile)) throw new CareloopError('CONFIG_INVALID', `push.vapidKeyFile ${cfg.push.vapidKeyFile} does not exist`);
    return parse(readFileSync(cfg.push.vapidKeyFile, 'utf8'), `push.vapidKeyFile ${cfg.push.vapidKeyFile}`);
  }
  if (cfg.env === 'production') return null;
  const file = join(repoRoot(), cfg.stack.dir, 'vapid.json');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, JSON.stringify(webpush.generateVAPIDKeys()) + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process made it first
    }
  }
  return parse(readFileSync(file, 'utf8'), file);
}
