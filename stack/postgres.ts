import { chmodSync, chownSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import type { Config } from '../platform/config/config.js';
import { stackFailed } from './failure.js';
import { needs } from './install.js';
import { isRoot, runCommand, spawnDetached, systemUser, type RunAs } from './proc.js';
import type { Component, StackContext } from './types.js';

const BIN = '/usr/lib/postgresql/15/bin';
const APP_ROLE = 'careloop';
export const POSTGRES_DATABASES = ['careloop', 'apicurio'] as const;

function paths(ctx: StackContext): { data: string; socketDir: string } {
  const root = ctx.layout.dataDir('postgres');
  return { data: join(root, 'data'), socketDir: join(root, 'sock') };
}

/** PostgreSQL refuses to run as root; as root we run it as the `postgres` account the package creates. */
function runAs(ctx: StackContext): RunAs | undefined {
  if (!isRoot()) return undefined;
  const user = systemUser('postgres');
  if (user === undefined) {
    throw stackFailed('postgres', 'running as root but there is no `postgres` system user to run the server as', 'reinstall the package: apt-get install --reinstall postgresql-15', ctx.layout.logPath('postgres'));
  }
  return user;
}

/** The server's settings, passed on its command line so initdb's files stay untouched. */
export function postgresArgs(cfg: Config, data: string, socketDir: string): string[] {
  const settings = [
    `listen_addresses=${cfg.stack.host}`, `port=${cfg.stack.postgresPort}`, `unix_socket_directories=${socketDir}`,
    'max_connections=300', 'logging_collector=off', 'log_min_messages=warning',
  ];
  return ['-D', data, ...settings.flatMap((s) => ['-c', s])];
}

export function initdbArgs(data: string): string[] {
  // trust over our own unix socket (how we create roles), passwords over TCP
  return ['-D', data, '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--auth-local=trust', '--auth-host=scram-sha-256', '--no-instructions'];
}

/** Lets the postgres account reach its data dir: adds search (x) permission for others on each ancestor. */
function ensureTraversable(ctx: StackContext, dir: string): void {
  for (let d = dirname(dir); ; d = dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) {
      ctx.reporter.progress('postgres', `adding search permission (o+x) on ${d} so the postgres user can reach its data`);
      chmodSync(d, mode | 0o001);
    }
    if (dirname(d) === d) return;
  }
}

async function initdb(ctx: StackContext, data: string, user: RunAs | undefined): Promise<void> {
  rmSync(data, { recursive: true, force: true }); // a half-initialised dir from an interrupted first run
  mkdirSync(data, { recursive: true, mode: 0o700 });
  if (user !== undefined) chownSync(data, user.uid, user.gid);
  ctx.reporter.progress('postgres', 'initialising the data directory (initdb, first run only)');
  const log = ctx.layout.logPath('postgres');
  const result = await runCommand({ command: join(BIN, 'initdb'), args: initdbArgs(data), logPath: log, runAs: user, cwd: data });
  if (result.code !== 0) throw stackFailed('postgres', `initdb failed (exit ${result.code})`, `delete ${data} and run \`careloop stack up\` again`, log);
}

async function prepare(ctx: StackContext): Promise<void> {
  const { data, socketDir } = paths(ctx);
  const user = runAs(ctx);
  for (const dir of [dirname(data), socketDir]) {
    mkdirSync(dir, { recursive: true });
    if (user !== undefined) chownSync(dir, user.uid, user.gid);
  }
  if (user !== undefined) ensureTraversable(ctx, data);
  const socketPath = join(socketDir, `.s.PGSQL.${ctx.cfg.stack.postgresPort}`);
  if (socketPath.length > 100) {
    throw stackFailed('postgres', `the unix socket path ${socketPath} is too long for the OS (max ~100 bytes)`, 'use a shorter repository path or stack.dir', ctx.layout.logPath('postgres'));
  }
  if (!existsSync(join(data, 'PG_VERSION'))) await initdb(ctx, data, user);
}

async function start(ctx: StackContext): Promise<number> {
  const { data, socketDir } = paths(ctx);
  return spawnDetached({ command: join(BIN, 'postgres'), args: postgresArgs(ctx.cfg, data, socketDir), logPath: ctx.layout.logPath('postgres'), runAs: runAs(ctx), cwd: data });
}

/** Up means the server answers the protocol: a login refused for a missing role still proves it. */
async function healthy(ctx: StackContext): Promise<boolean> {
  const client = new pg.Client({
    host: ctx.cfg.stack.host, port: ctx.cfg.stack.postgresPort, user: APP_ROLE, password: APP_ROLE, database: APP_ROLE,
    connectionTimeoutMillis: 2000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && code !== '57P03'; // 57P03: still starting up
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates the application role and databases if missing, as superuser over our own unix socket. */
async function afterStart(ctx: StackContext): Promise<void> {
  const client = new pg.Client({ host: paths(ctx).socketDir, port: ctx.cfg.stack.postgresPort, user: 'postgres', database: 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
    if (role.rowCount === 0) {
      ctx.reporter.progress('postgres', `creating role ${APP_ROLE}`);
      await client.query(`CREATE ROLE ${APP_ROLE} LOGIN CREATEDB PASSWORD '${APP_ROLE}'`);
    }
    for (const db of POSTGRES_DATABASES) {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
      if (found.rowCount !== 0) continue;
      ctx.reporter.progress('postgres', `creating database ${db}`);
      await client.query(`CREATE DATABASE ${db} OWNER ${APP_ROLE}`);
    }
  } finally {
    await client.end();
  }
}

export const postgres: Component = {
  name: 'postgres',
  processMarker: 'postgres',
  stopSignal: 'SIGINT',
  endpoint: (cfg) => `postgres://${APP_ROLE}:${APP_ROLE}@${cfg.stack.host}:${cfg.stack.postgresPort}/${APP_ROLE}`,
  ports: (cfg) => [cfg.stack.postgresPort],
  requirements: () => [needs('postgresql-15', 'PostgreSQL 15 server', join(BIN, 'postgres'))],
  prepare, start, healthy, afterStart,
};
