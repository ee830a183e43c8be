import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../platform/config/config.js';
import { isCareloopError } from '../platform/errors.js';
import { clickhouseConfigXml, clickhouseUsersXml, xmlEscape } from './clickhouse.js';
import { stackFailed } from './failure.js';
import { selectComponents } from './index.js';
import { missingPackages } from './install.js';
import { kafkaLog4j2Xml, kafkaServerProperties, newClusterId } from './kafka.js';
import { stackLayout } from './layout.js';
import { initdbArgs, postgresArgs } from './postgres.js';
import { redisConf } from './redis.js';
import { registrySystemProperties } from './registry.js';

const cfg = loadConfig({ overrides: { 'stack.kafkaPort': 29092, 'stack.host': '127.0.0.1' } });

function parseProperties(text: string): Map<string, string> {
  return new Map(text.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
}

test('kafka server.properties: one KRaft node, replication settings for one broker, no auto-created topics', () => {
  const props = parseProperties(kafkaServerProperties(cfg, '/data/kafka'));
  assert.equal(props.get('process.roles'), 'broker,controller');
  assert.equal(props.get('node.id'), '1');
  assert.equal(props.get('controller.quorum.voters'), '1@127.0.0.1:19093');
  assert.equal(props.get('listeners'), 'PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:19093');
  assert.equal(props.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:29092');
  assert.equal(props.get('log.dirs'), '/data/kafka');
  assert.equal(props.get('offsets.topic.replication.factor'), '1');
  assert.equal(props.get('transaction.state.log.min.isr'), '1');
  assert.equal(props.get('auto.create.topics.enable'), 'false');
  assert.equal(props.get('group.initial.rebalance.delay.ms'), '0');
});

test('kafka log4j2 config appends to the given log file, escaped', () => {
  const xml = kafkaLog4j2Xml('/tmp/a&b/kafka.log');
  assert.match(xml, /fileName="\/tmp\/a&amp;b\/kafka.log" append="true"/);
});

test('a KRaft cluster id is 22 URL-safe base64 characters, fresh each time, never starting with "-" (an option to kafka-storage)', () => {
  const id = newClusterId();
  assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  assert.notEqual(id, newClusterId());
  // 1 in 64 raw draws starts with '-': 2,000 ids would hold about 31 of them.
  for (let i = 0; i < 2_000; i++) assert.ok(!newClusterId().startsWith('-'));
});

test('redis.conf: our port and address, data dir, append-only, not daemonised', () => {
  const conf = redisConf(cfg, '/data/redis');
  for (const line of ['port 16379', 'bind 127.0.0.1', 'dir /data/redis', 'appendonly yes', 'daemonize no']) {
    assert.ok(conf.split('\n').includes(line), line);
  }
});

test('clickhouse config: ports, listen host, paths inside the data dir, users file, log file', () => {
  const xml = clickhouseConfigXml(cfg, { root: '/s/ch', data: '/s/ch/data', config: '/s/ch/config.xml', users: '/s/ch/users.xml', log: '/s/logs/clickhouse.log', errorLog: '/s/logs/ch.err.log' });
  assert.match(xml, /<http_port>18123<\/http_port>/);
  assert.match(xml, /<tcp_port>19000<\/tcp_port>/);
  assert.match(xml, /<listen_host>127.0.0.1<\/listen_host>/);
  assert.match(xml, /<path>\/s\/ch\/data\/<\/path>/);
  assert.match(xml, /<users_config>\/s\/ch\/users.xml<\/users_config>/);
  assert.match(xml, /<log>\/s\/logs\/clickhouse.log<\/log>/);
  assert.match(xml, /^<\?xml version="1.0"\?>\n<yandex>/);
});

test('clickhouse users: default user and read-only analyst, empty passwords, loopback only', () => {
  const xml = clickhouseUsersXml();
  assert.match(xml, /<default>\s*<password><\/password>/);
  assert.match(xml, /<ip>127.0.0.1<\/ip>/);
  assert.doesNotMatch(xml, /::\/0/);
  assert.match(xml, /<analyst>\s*<password><\/password>[\s\S]*<profile>analyst<\/profile>/, 'the analyst user has the analyst profile');
  assert.match(xml, /<analyst>\s*<readonly>1<\/readonly>/, 'the analyst profile is read-only');
  assert.equal(xmlEscape('<a "b">&'), '&lt;a &quot;b&quot;&gt;&amp;');
});

test('postgres: listens on the stack address and port, socket in our dir; initdb trusts only the socket', () => {
  const args = postgresArgs(cfg, '/s/pg/data', '/s/pg/sock');
  assert.deepEqual(args.slice(0, 2), ['-D', '/s/pg/data']);
  for (const s of ['listen_addresses=127.0.0.1', 'port=15432', 'unix_socket_directories=/s/pg/sock']) assert.ok(args.includes(s), s);
  assert.ok(initdbArgs('/d').includes('--auth-local=trust'));
  assert.ok(initdbArgs('/d').includes('--auth-host=scram-sha-256'));
});

test('registry: SQL storage on our postgres database apicurio, on the registry port', () => {
  const p = registrySystemProperties(cfg);
  assert.equal(p['quarkus.http.port'], '18081');
  assert.equal(p['apicurio.storage.kind'], 'sql');
  assert.equal(p['apicurio.storage.sql.kind'], 'postgresql');
  assert.equal(p['apicurio.datasource.url'], 'jdbc:postgresql://127.0.0.1:15432/apicurio');
  assert.equal(p['apicurio.datasource.username'], 'careloop');
});

test('selecting components keeps start order and pulls in dependencies', () => {
  assert.deepEqual(selectComponents(undefined), ['postgres', 'redis', 'clickhouse', 'kafka', 'registry']);
  assert.deepEqual(selectComponents(['registry', 'redis']), ['postgres', 'redis', 'registry']);
  assert.deepEqual(selectComponents(['kafka']), ['kafka']);
});

test('missing packages are listed once each, present ones skipped', () => {
  const reqs = [
    { aptPackage: 'maven', what: 'mvn', present: () => false },
    { aptPackage: 'maven', what: 'mvn', present: () => false },
    { aptPackage: 'redis-server', what: 'redis', present: () => true },
  ];
  assert.deepEqual(missingPackages(reqs), ['maven']);
});

test('layout: data, logs and pid files under <repoRoot>/<stack.dir>', () => {
  const layout = stackLayout(cfg, '/repo');
  assert.equal(layout.dataDir('kafka'), '/repo/.stack/kafka');
  assert.equal(layout.logPath('kafka'), '/repo/.stack/logs/kafka.log');
  assert.equal(layout.pidPath('kafka'), '/repo/.stack/run/kafka.pid');
});

test('a stack failure names the component, the next step and the log', () => {
  const err = stackFailed('kafka', 'did not start', 'free port 19092', '/nonexistent/kafka.log');
  assert.ok(isCareloopError(err));
  assert.equal(err.code, 'STACK_FAILED');
  assert.match(err.message, /^kafka: did not start\nnext: free port 19092\nlog: \/nonexistent\/kafka.log/);
  assert.match(err.message, /no log written yet/);
});
