import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../platform/config/config.js';
import { stackFailed } from './failure.js';
import { JAVA, MAVEN, runMaven } from './install.js';
import { runCommand, spawnDetached } from './proc.js';
import type { Component, StackContext } from './types.js';
import { httpGet } from './wait.js';

const GROUP_PATH = 'io/apicurio/apicurio-registry-app';

function appDir(ctx: StackContext): string {
  return join(ctx.layout.dataDir('registry'), `app-${ctx.cfg.stack.apicurioVersion}`);
}

function tarball(version: string): string {
  return join(homedir(), '.m2', 'repository', GROUP_PATH, version, `apicurio-registry-app-${version}-all.tar.gz`);
}

/**
 * Apicurio 3 settings: SQL storage on our PostgreSQL so schema ids survive restarts, a small
 * connection pool (the default keeps 20 open), and deletes allowed so tests can clean up subjects.
 */
export function registrySystemProperties(cfg: Config): Record<string, string> {
  const { host, registryPort, postgresPort } = cfg.stack;
  return {
    'quarkus.http.port': String(registryPort),
    'quarkus.http.host': host,
    'apicurio.storage.kind': 'sql',
    'apicurio.storage.sql.kind': 'postgresql',
    'apicurio.datasource.url': `jdbc:postgresql://${host}:${postgresPort}/apicurio`,
    'apicurio.datasource.username': 'careloop',
    'apicurio.datasource.password': 'careloop',
    'apicurio.datasource.jdbc.initial-size': '2',
    'apicurio.datasource.jdbc.min-size': '2',
    'apicurio.datasource.jdbc.max-size': '20',
    'apicurio.rest.deletion.group.enabled': 'true',
    'apicurio.rest.deletion.artifact.enabled': 'true',
    'apicurio.rest.deletion.artifact-version.enabled': 'true',
    // every serde call would otherwise write an access-log line; and 3.0.x ships a broken date pattern
    'quarkus.http.access-log.enabled': 'false',
    'quarkus.log.console.format': '%d{yyyy-MM-dd HH:mm:ss,SSS} %p [%c{3.}] (%t) %m%n',
  };
}

/** The runnable jar: `quarkus-app/quarkus-run.jar` in fast-jar builds, `*-runner.jar` in 3.0.x's legacy layout. */
export function findRunnableJar(dir: string, depth = 3): string | undefined {
  if (depth < 0 || !existsSync(dir)) return undefined;
  const entries = readdirSync(dir, { withFileTypes: true });
  const jar = entries.find((e) => e.isFile() && (e.name === 'quarkus-run.jar' || e.name.endsWith('-runner.jar')));
  if (jar !== undefined) return join(dir, jar.name);
  for (const e of entries.filter((x) => x.isDirectory() && x.name !== 'lib')) {
    const found = findRunnableJar(join(dir, e.name), depth - 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

async function download(ctx: StackContext, version: string): Promise<void> {
  if (existsSync(tarball(version))) return;
  ctx.reporter.progress('registry', `downloading Apicurio Registry ${version} from Maven Central (first run only, ~160 MB)`);
  await runMaven(ctx, 'registry', ['dependency:get', `-Dartifact=io.apicurio:apicurio-registry-app:${version}:tar.gz:all`, '-Dtransitive=false']);
  if (!existsSync(tarball(version))) {
    throw stackFailed('registry', `Maven finished but ${tarball(version)} is missing`, 'check ~/.m2/settings.xml for a custom localRepository', ctx.layout.logPath('registry'));
  }
}

async function extract(ctx: StackContext): Promise<void> {
  const dir = appDir(ctx);
  if (existsSync(dir)) return;
  const version = ctx.cfg.stack.apicurioVersion;
  await download(ctx, version);
  ctx.reporter.progress('registry', `unpacking Apicurio Registry ${version} (first run only)`);
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const log = ctx.layout.logPath('registry');
  const result = await runCommand({ command: 'tar', args: ['xzf', tarball(version), '-C', tmp], logPath: log });
  if (result.code !== 0) throw stackFailed('registry', `unpacking ${tarball(version)} failed (exit ${result.code})`, `delete ${tarball(version)} and run \`careloop stack up\` again`, log);
  renameSync(tmp, dir); // only a complete unpack counts as installed
}

async function prepare(ctx: StackContext): Promise<void> {
  await extract(ctx);
  if (findRunnableJar(appDir(ctx)) === undefined) {
    throw stackFailed('registry', `no quarkus-run.jar or *-runner.jar under ${appDir(ctx)}`, `delete ${appDir(ctx)} and run \`careloop stack up\` again`, ctx.layout.logPath('registry'));
  }
}

async function start(ctx: StackContext): Promise<number> {
  const jar = findRunnableJar(appDir(ctx)) as string;
  const props = Object.entries(registrySystemProperties(ctx.cfg)).map(([k, v]) => `-D${k}=${v}`);
  return spawnDetached({
    command: 'java', args: [`-Xmx${ctx.cfg.stack.javaHeap}`, '-Djava.awt.headless=true', ...props, '-jar', jar],
    logPath: ctx.layout.logPath('registry'), cwd: ctx.layout.dataDir('registry'),
  });
}

async function healthy(ctx: StackContext): Promise<boolean> {
  const base = `http://${ctx.cfg.stack.host}:${ctx.cfg.stack.registryPort}`;
  const ready = await httpGet(`${base}/health/ready`);
  if (ready?.status !== 200) return false;
  const subjects = await httpGet(`${base}/apis/ccompat/v7/subjects`);
  return subjects?.status === 200;
}

export const registry: Component = {
  name: 'registry',
  processMarker: 'apicurio.datasource.url', // one of our -D flags: matches either jar layout
  stopSignal: 'SIGTERM',
  endpoint: (cfg) => `http://${cfg.stack.host}:${cfg.stack.registryPort}/apis/ccompat/v7`,
  ports: (cfg) => [cfg.stack.registryPort],
  requirements: () => [JAVA, MAVEN],
  prepare, start, healthy,
};
