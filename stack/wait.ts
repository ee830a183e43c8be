import { request } from 'node:http';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ComponentName, StackReporter } from './types.js';

/** Resolves true when something accepts a TCP connection on host:port within `timeoutMs`. */
export function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface HttpReply { readonly status: number; readonly body: string }

/** A small GET with a timeout; resolves undefined when nothing answers. */
export function httpGet(url: string, timeoutMs = 2000): Promise<HttpReply | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk.slice(0, 10_000); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

export interface WaitSpec {
  readonly component: ComponentName;
  /** What we are waiting for, as the progress line should say it ("port 19092"). */
  readonly what: string;
  readonly probe: () => Promise<boolean>;
  readonly timeoutMs: number;
  readonly reporter: StackReporter;
  /** Returns a reason when waiting is pointless (the process died). */
  readonly abort?: () => string | undefined;
  readonly intervalMs?: number;
  readonly progressEveryMs?: number;
}

export type WaitOutcome = { ok: true; elapsedMs: number } | { ok: false; reason: string };

/** Polls `probe` until it passes, reporting progress every few seconds so long waits stay visible. */
export async function waitUntil(spec: WaitSpec): Promise<WaitOutcome> {
  const started = Date.now();
  const every = spec.progressEveryMs ?? 5000;
  let nextReport = started + every;
  for (;;) {
    if (await spec.probe().catch(() => false)) return { ok: true, elapsedMs: Date.now() - started };
    const aborted = spec.abort?.();
    if (aborted !== undefined) return { ok: false, reason: aborted };
    const now = Date.now();
    if (now - started >= spec.timeoutMs) return { ok: false, reason: `not ready after ${Math.round(spec.timeoutMs / 1000)}s` };
    if (now >= nextReport) {
      spec.reporter.progress(spec.component, `waiting for ${spec.what} (${Math.round((now - started) / 1000)}s)`);
      nextReport += every;
    }
    await sleep(spec.intervalMs ?? 250);
  }
}
