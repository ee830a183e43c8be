import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isCareloopError } from '../errors.js';
import { loadConfig, describeConfig } from './config.js';
import { CONFIG_SPEC, envName } from './spec.js';

function rejectsWith(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isCareloopError(err), 'a CareloopError');
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  });
}

function file(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'careloop-cfg-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('configuration', () => {
  test('given no sources, defaults apply and connection URLs follow the stack ports', () => {
    const cfg = loadConfig({ env: {} });
    assert.equal(cfg.kafka.driver, 'kafkajs');
    assert.deepEqual(cfg.kafka.brokers, ['127.0.0.1:19092']);
    assert.equal(cfg.registry.url, 'http://127.0.0.1:18081/apis/ccompat/v7');
    assert.equal(cfg.consumer.retryBackoff, 200, 'durations are converted to milliseconds');
    assert.equal(cfg.stack.startTimeout, 180_000);
    assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.kafka), 'the compiled config is frozen');
  });

  test('the environment overrides the file, which overrides defaults; moving a port moves the derived URL', () => {
    const path = file({ kafka: { driver: 'rdkafka' }, stack: { redisPort: 7000 }, consumer: { retryBackoff: '2s' } });
    const cfg = loadConfig({ env: { CARELOOP_KAFKA_DRIVER: 'kafkajs', CARELOOP_CONFIG: path } });
    assert.equal(cfg.kafka.driver, 'kafkajs');
    assert.equal(cfg.redis.url, 'redis://127.0.0.1:7000');
    assert.equal(cfg.consumer.retryBackoff, 2000);
  });

  test('an unknown environment variable fails and names itself', () => {
    rejectsWith(() => loadConfig({ env: { CARELOOP_KAFKA_DRIVERR: 'x' } }), 'CONFIG_UNKNOWN_KEY', /CARELOOP_KAFKA_DRIVERR; did you mean "CARELOOP_KAFKA_DRIVER"/);
    rejectsWith(() => loadConfig({ env: { CARELOOP_XYZZY: 'x' } }), 'CONFIG_UNKNOWN_KEY', /careloop config --help/);
  });

  test('the debug switch CARELOOP_DEBUG is a real key', () => {
    assert.equal(loadConfig({ env: { CARELOOP_DEBUG: '1' } }).debug, true);
    assert.equal(loadConfig({ env: {} }).debug, false);
  });

  test('an unknown key in the file fails, names the key and suggests the right one', () => {
    rejectsWith(() => loadConfig({ env: {}, file: file({ kafka: { brokrs: 'a:1' } }) }), 'CONFIG_UNKNOWN_KEY', /"kafka\.brokrs"/);
    rejectsWith(() => loadConfig({ env: {}, file: file({ redisPort: 1 }) }), 'CONFIG_UNKNOWN_KEY', /did you mean "stack\.redisPort"/);
    rejectsWith(() => loadConfig({ env: {}, file: file({ log: { levle: 'info' } }) }), 'CONFIG_UNKNOWN_KEY', /did you mean "log\.level"/);
  });

  test('bad values fail with the key, the source and what is expected', () => {
    rejectsWith(() => loadConfig({ env: { CARELOOP_STACK_KAFKA_PORT: '70000' } }), 'CONFIG_INVALID', /stack\.kafkaPort.*CARELOOP_STACK_KAFKA_PORT.*1 to 65535/);
    rejectsWith(() => loadConfig({ env: { CARELOOP_KAFKA_DRIVER: 'java' } }), 'CONFIG_INVALID', /kafka\.driver.*kafkajs, rdkafka/);
    rejectsWith(() => loadConfig({ env: { CARELOOP_CONSUMER_RETRY_BACKOFF: 'soon' } }), 'CONFIG_INVALID', /consumer\.retryBackoff.*duration/);
    rejectsWith(() => loadConfig({ env: { CARELOOP_POSTGRES_URL: 'mysql://x' } }), 'CONFIG_INVALID', /postgres\.url.*postgres:/);
    rejectsWith(() => loadConfig({ env: { CARELOOP_KAFKA_SSL: 'maybe' } }), 'CONFIG_INVALID', /kafka\.ssl.*true or false/);
  });

  test('a file that is not JSON, or not an object, fails with its path', () => {
    const path = file('{ not json');
    rejectsWith(() => loadConfig({ env: {}, file: path }), 'CONFIG_INVALID', new RegExp(path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    rejectsWith(() => loadConfig({ env: {}, file: file([1, 2]) }), 'CONFIG_INVALID', /JSON object/);
  });

  test('every key has an environment variable and appears in the help', () => {
    const help = describeConfig();
    for (const key of Object.keys(CONFIG_SPEC)) {
      assert.match(envName(key), /^CARELOOP_[A-Z0-9_]+$/);
      assert.ok(help.includes(key), key);
    }
    assert.equal(envName('stack.clickhouseHttpPort'), 'CARELOOP_STACK_CLICKHOUSE_HTTP_PORT');
  });
});
