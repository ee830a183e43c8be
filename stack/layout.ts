import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../platform/config/config.js';
import { stackFailed } from './failure.js';
import { isAlive } from './proc.js';
import type { ComponentName, Layout } from './types.js';

/** `<repoRoot>/<stack.dir>/{<component>/, logs/<component>.log, run/<component>.pid}`. */
export function stackLayout(cfg: Config, repoRoot: string): Layout {
  const root = resolve(repoRoot, cfg.stack.dir);
  const runDir = join(root, 'run');
  const logsDir = join(root, 'logs');
  return {
    root, runDir, logsDir,
    dataDir: (name: ComponentName) => join(root, name),
    logPath: (name: ComponentName | 'install') => join(logsDir, `${name}.log`),
    pidPath: (name: ComponentName) => join(runDir, `${name}.pid`),
  };
}

/**
 * Serialises `up`/`down` across processes (test files run in parallel), so two of them never
 * start the same server twice. A lock whose owner died is taken over.
 */
export async function withStackLock<T>(layout: Layout, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  mkdirSync(layout.runDir, { recursive: true });
  const path = join(layout.runDir, 'stack.lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const text = readFileSafe(path);
      const owner = Number(text);
      // an empty file is a lock being written this instant, unless it has been empty for a while
      const stale = text === '' ? olderThan(path, 5000) : !Number.isInteger(owner) || owner <= 0 || !isAlive(owner);
      if (stale) { rmSync(path, { force: true }); continue; }
      if (Date.now() > deadline) {
        throw stackFailed('stack', `another careloop process (pid ${owner}) is still starting or stopping the stack`, `wait for it, or if it hangs stop it (kill ${owner}) and retry`, path);
      }
      await sleep(250);
    }
  }
  try { return await fn(); } finally { rmSync(path, { force: true }); }
}

function olderThan(path: string, ms: number): boolean {
  try { return Date.now() - statSync(path).mtimeMs > ms; } catch { return true; }
}

function readFileSafe(path: string): string {
  try { return readFileSync(path, 'utf8').trim(); } catch { return ''; }
}
