import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../platform/config/config.js';
import { needs } from './install.js';
import { findExecutable, spawnDetached } from './proc.js';
import type { Component, StackContext } from './types.js';
import { httpGet } from './wait.js';

export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface ClickhousePaths { readonly root: string; readonly data: string; readonly config: string; readonly users: string; readonly log: string; readonly errorLog: string }

/** Server config in the `<yandex>` root that 18.16 requires (current servers still accept it). */
export function clickhouseConfigXml(cfg: Config, p: ClickhousePaths): string {
  const e = xmlEscape;
  return `<?xml version="1.0"?>
<yandex>
    <logger>
        <level>information</level>
        <log>${e(p.log)}</log>
        <errorlog>${e(p.errorLog)}</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <http_port>${cfg.stack.clickhouseHttpPort}</http_port>
    <tcp_port>${cfg.stack.clickhouseTcpPort}</tcp_port>
    <listen_host>${e(cfg.stack.host)}</listen_host>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>${e(p.data)}/</path>
    <tmp_path>${e(p.data)}/tmp/</tmp_path>
    <user_files_path>${e(p.data)}/user_files/</user_files_path>
    <format_schema_path>${e(p.data)}/format_schemas/</format_schema_path>
    <users_config>${e(p.users)}</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
`;
}

/** The read-only user data scientists query as (docs/analytics.md): reads every table, writes none, changes no setting. */
export const ANALYST_USER = 'analyst';

/**
 * A `default` user and the read-only `analyst`, no passwords, reachable from loopback only: a
 * developer stack, not a server.
 */
export function clickhouseUsersXml(): string {
  return `<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
        <analyst>
            <readonly>1</readonly>
            <max_memory_usage>2000000000</max_memory_usage>
            <max_execution_time>120</max_execution_time>
            <!-- 18.16 filters a view only after computing it unless told to push the WHERE down. -->
            <enable_optimize_predicate_expression>1</enable_optimize_predicate_expression>
        </analyst>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>::1</ip>
                <ip>127.0.0.1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
        <analyst>
            <password></password>
            <networks>
                <ip>::1</ip>
                <ip>127.0.0.1</ip>
            </networks>
            <profile>analyst</profile>
            <quota>default</quota>
        </analyst>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
`;
}

function paths(ctx: StackContext): ClickhousePaths {
  const root = ctx.layout.dataDir('clickhouse');
  return {
    root, data: join(root, 'data'), config: join(root, 'config.xml'), users: join(root, 'users.xml'),
    log: ctx.layout.logPath('clickhouse'), errorLog: join(ctx.layout.logsDir, 'clickhouse.err.log'),
  };
}

async function prepare(ctx: StackContext): Promise<void> {
  const p = paths(ctx);
  for (const dir of ['tmp', 'user_files', 'format_schemas']) mkdirSync(join(p.data, dir), { recursive: true });
  writeFileSync(p.config, clickhouseConfigXml(ctx.cfg, p));
  writeFileSync(p.users, clickhouseUsersXml());
}

async function start(ctx: StackContext): Promise<number> {
  const p = paths(ctx);
  const command = findExecutable('clickhouse-server') ?? '/usr/sbin/clickhouse-server';
  return spawnDetached({ command, args: [`--config-file=${p.config}`], logPath: p.log, cwd: p.root });
}

async function healthy(ctx: StackContext): Promise<boolean> {
  const reply = await httpGet(`http://${ctx.cfg.stack.host}:${ctx.cfg.stack.clickhouseHttpPort}/ping`);
  return reply?.status === 200 && reply.body.trim() === 'Ok.';
}

/** A running server gets users added since it was set up: ClickHouse rereads its users file by itself. */
async function afterStart(ctx: StackContext): Promise<void> {
  const p = paths(ctx);
  let current = '';
  try { current = readFileSync(p.users, 'utf8'); } catch { current = ''; }
  if (current === clickhouseUsersXml()) return;
  ctx.reporter.progress('clickhouse', `adding the ${ANALYST_USER} user`);
  writeFileSync(p.users, clickhouseUsersXml());
}

export const clickhouse: Component = {
  name: 'clickhouse',
  processMarker: 'clickhouse',
  stopSignal: 'SIGTERM',
  endpoint: (cfg) => `http://${cfg.stack.host}:${cfg.stack.clickhouseHttpPort}`,
  ports: (cfg) => [cfg.stack.clickhouseHttpPort, cfg.stack.clickhouseTcpPort],
  requirements: () => [
    needs('clickhouse-server', 'ClickHouse server', 'clickhouse-server', '/usr/sbin/clickhouse-server'),
    needs('clickhouse-client', 'ClickHouse client', 'clickhouse-client', '/usr/bin/clickhouse-client'),
  ],
  prepare, start, healthy, afterStart,
};
