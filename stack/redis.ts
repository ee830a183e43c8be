import { mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { Config } from '../platform/config/config.js';
import { findExecutable, spawnDetached } from './proc.js';
import { needs } from './install.js';
import type { Component, StackContext } from './types.js';

/** Our own instance's config; the Debian package's system redis on 6379 is left alone. */
export function redisConf(cfg: Config, dataDir: string): string {
  return [
    `port ${cfg.stack.redisPort}`,
    `bind ${cfg.stack.host}`,
    'protected-mode yes',
    'daemonize no', // we spawn it detached ourselves and track its pid
    'logfile ""', // stdout, which is our log file
    `dir ${dataDir}`,
    'dbfilename dump.rdb',
    'appendonly yes',
    'appendfsync everysec',
    'save 60 1000',
    '',
  ].join('\n');
}

function paths(ctx: StackContext): { data: string; conf: string } {
  const root = ctx.layout.dataDir('redis');
  return { data: join(root, 'data'), conf: join(root, 'redis.conf') };
}

async function prepare(ctx: StackContext): Promise<void> {
  const { data, conf } = paths(ctx);
  mkdirSync(data, { recursive: true });
  writeFileSync(conf, redisConf(ctx.cfg, data));
}

async function start(ctx: StackContext): Promise<number> {
  const command = findExecutable('redis-server') ?? '/usr/bin/redis-server';
  return spawnDetached({ command, args: [paths(ctx).conf], logPath: ctx.layout.logPath('redis'), cwd: paths(ctx).data });
}

/** PING over a raw socket; +PONG means it has loaded its data and serves commands. */
export function redisPing(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let reply = '';
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => { reply += chunk.toString(); if (reply.includes('\r\n')) done(reply.startsWith('+PONG')); });
    socket.once('error', () => done(false));
  });
}

export const redis: Component = {
  name: 'redis',
  processMarker: 'redis-server',
  stopSignal: 'SIGTERM',
  endpoint: (cfg) => `redis://${cfg.stack.host}:${cfg.stack.redisPort}`,
  ports: (cfg) => [cfg.stack.redisPort],
  requirements: () => [needs('redis-server', 'Redis 7 server', 'redis-server', '/usr/bin/redis-server')],
  prepare, start,
  healthy: (ctx) => redisPing(ctx.cfg.stack.host, ctx.cfg.stack.redisPort),
};
