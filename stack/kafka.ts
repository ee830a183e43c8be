import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Config } from '../platform/config/config.js';
import { stackFailed } from './failure.js';
import { JAVA, MAVEN, runMaven } from './install.js';
import { runCommand, spawnDetached } from './proc.js';
import type { Component, StackContext } from './types.js';
import { xmlEscape } from './clickhouse.js';
import { tcpOpen } from './wait.js';

export interface KafkaPaths { readonly root: string; readonly libs: string; readonly data: string; readonly properties: string; readonly log4j: string; readonly log: string }

function paths(ctx: StackContext): KafkaPaths {
  const root = ctx.layout.dataDir('kafka');
  return {
    root, libs: join(root, `libs-${ctx.cfg.stack.kafkaVersion}`), data: join(root, 'data'),
    properties: join(root, 'server.properties'), log4j: join(root, 'log4j2.xml'), log: ctx.layout.logPath('kafka'),
  };
}

/** A single KRaft node that is both broker and controller, with replication settings for one node. */
export function kafkaServerProperties(cfg: Config, dataDir: string): string {
  const { host, kafkaPort, kafkaControllerPort } = cfg.stack;
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${host}:${kafkaControllerPort}`,
    'listeners': `PLAINTEXT://${host}:${kafkaPort},CONTROLLER://${host}:${kafkaControllerPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${kafkaPort}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': dataDir,
    'num.partitions': 1,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'auto.create.topics.enable': false,
    'delete.topic.enable': true,
    'group.initial.rebalance.delay.ms': 0,
  };
  return Object.entries(props).map(([k, v]) => `${k}=${String(v)}`).join('\n') + '\n';
}

/** log4j2 writes Kafka's own logs to our log file; noisy request/state loggers stay at WARN. */
export function kafkaLog4j2Xml(logPath: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="warn">
  <Appenders>
    <File name="file" fileName="${xmlEscape(logPath)}" append="true">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Logger name="kafka.request.logger" level="warn"/>
    <Logger name="state.change.logger" level="warn"/>
    <Logger name="org.apache.kafka.controller" level="warn"/>
    <Root level="info"><AppenderRef ref="file"/></Root>
  </Loggers>
</Configuration>
`;
}

/**
 * KRaft cluster ids are 16 random bytes in URL-safe base64 without padding (22 characters). One that
 * starts with '-' would be read as an option by kafka-storage (1 in 64: CI met one), so, as Kafka's
 * own Uuid.randomUuid does, such a draw is thrown away.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function javaArgs(ctx: StackContext, p: KafkaPaths, mainClass: string, args: readonly string[], heap: string): string[] {
  return [
    `-Xmx${heap}`, '-XX:+UseG1GC', '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${p.log4j}`, `-Dkafka.logs.dir=${ctx.layout.logsDir}`,
    '-cp', join(p.libs, '*'), mainClass, ...args,
  ];
}

async function resolveJars(ctx: StackContext, p: KafkaPaths): Promise<void> {
  if (existsSync(p.libs)) return;
  const version = ctx.cfg.stack.kafkaVersion;
  ctx.reporter.progress('kafka', `resolving Kafka ${version} jars from Maven Central (first run only, ~1 min)`);
  const tmp = `${p.libs}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  await runMaven(ctx, 'kafka', ['-f', join(ctx.repoRoot, 'stack', 'kafka', 'pom.xml'), `-Dkafka.version=${version}`, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`]);
  renameSync(tmp, p.libs); // only a complete download becomes the classpath
}

async function formatStorage(ctx: StackContext, p: KafkaPaths): Promise<void> {
  if (existsSync(join(p.data, 'meta.properties'))) return;
  ctx.reporter.progress('kafka', 'formatting storage (first run only)');
  const args = javaArgs(ctx, p, 'kafka.tools.StorageTool', ['format', '--ignore-formatted', '-t', newClusterId(), '-c', p.properties], '256m');
  const result = await runCommand({ command: 'java', args, logPath: p.log, cwd: p.root });
  if (result.code !== 0) throw stackFailed('kafka', `formatting storage failed (exit ${result.code})`, `delete ${p.data} and run \`careloop stack up\` again`, p.log);
}

async function prepare(ctx: StackContext): Promise<void> {
  const p = paths(ctx);
  mkdirSync(p.data, { recursive: true });
  await resolveJars(ctx, p);
  writeFileSync(p.properties, kafkaServerProperties(ctx.cfg, p.data));
  writeFileSync(p.log4j, kafkaLog4j2Xml(p.log));
  await formatStorage(ctx, p);
}

async function start(ctx: StackContext): Promise<number> {
  const p = paths(ctx);
  return spawnDetached({ command: 'java', args: javaArgs(ctx, p, 'kafka.Kafka', [p.properties], ctx.cfg.stack.javaHeap), logPath: p.log, cwd: p.root });
}

/** An open port is not enough: the broker must answer a metadata request. */
async function healthy(ctx: StackContext): Promise<boolean> {
  const { host, kafkaPort } = ctx.cfg.stack;
  if (!(await tcpOpen(host, kafkaPort))) return false;
  const admin = new Kafka({
    clientId: 'careloop-stack', brokers: [`${host}:${kafkaPort}`], logLevel: logLevel.NOTHING,
    connectionTimeout: 2000, requestTimeout: 5000, retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export const kafka: Component = {
  name: 'kafka',
  processMarker: 'kafka.Kafka',
  stopSignal: 'SIGTERM',
  endpoint: (cfg) => `${cfg.stack.host}:${cfg.stack.kafkaPort}`,
  ports: (cfg) => [cfg.stack.kafkaPort, cfg.stack.kafkaControllerPort],
  requirements: () => [JAVA, MAVEN],
  prepare, start, healthy,
};
