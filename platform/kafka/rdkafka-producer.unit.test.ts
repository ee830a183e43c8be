import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type * as Rd from 'node-rdkafka';
import { createLogger } from '../log.js';
import { RdkafkaProducer } from './rdkafka-driver.js';

/**
 * librdkafka cannot be made to raise a fatal error on demand (an idempotent producer goes fatal
 * when a broker that crashed comes back out of step with its sequence numbers, one kill in several):
 * this client stands in for it with the same calls and callbacks. The fault suite's broker kill is
 * the end-to-end check against the real library.
 */
class FakeClient extends EventEmitter {
  static made: FakeClient[] = [];
  fatal = false;
  connectFails = 0;
  disconnected = false;
  readonly produced: string[] = [];
  constructor() { super(); FakeClient.made.push(this); }
  connect(_opts: unknown, cb: (err: Error | null) => void): void {
    if (this.connectFails > 0) { this.connectFails -= 1; setImmediate(() => cb(new Error('Local: Broker transport failure'))); return; }
    setImmediate(() => cb(null));
  }
  produce(_topic: string, _p: null, value: Buffer, _k: unknown, _ts: number, _h: unknown, cb: (err: unknown) => void): void {
    if (this.fatal) { setImmediate(() => cb(Object.assign(new Error('Local: Fatal error'), { code: -150 }))); return; }
    this.produced.push(value.toString());
    setImmediate(() => cb(null));
  }
  flush(_ms: number, cb: () => void): void { setImmediate(cb); }
  disconnect(cb: () => void): void { this.disconnected = true; setImmediate(cb); }
}

const rd = { HighLevelProducer: FakeClient } as unknown as typeof Rd;
const cfg = { brokers: ['127.0.0.1:1'], clientId: 't', ssl: false, caFile: '', sasl: null };
const log = createLogger({ level: 'silent' });
const rec = (v: string) => ({ key: 'p', value: Buffer.from(v) });

test('a producer that librdkafka declared unusable is replaced: in-flight sends fail retryably, later ones go through the new client', async () => {
  FakeClient.made = [];
  const producer = await RdkafkaProducer.open(rd, cfg, log);
  await producer.send('t', [rec('a')]);
  const first = FakeClient.made[0] as FakeClient;
  first.fatal = true;
  await assert.rejects(producer.send('t', [rec('b')]), (err: { code?: string }) => err.code === 'DEPENDENCY_UNAVAILABLE');
  await producer.send('t', [rec('b')]);
  assert.equal(FakeClient.made.length, 2, 'one replacement, not one per failed record');
  const second = FakeClient.made[1] as FakeClient;
  assert.deepEqual(first.produced, ['a']);
  assert.deepEqual(second.produced, ['b']);
  assert.equal(first.disconnected, true, 'the dead client is closed');
  await producer.disconnect();
  assert.equal(second.disconnected, true);
});

test('a fatal error event replaces the client too, and a replacement that cannot connect yet is retried', async () => {
  FakeClient.made = [];
  const producer = await RdkafkaProducer.open(rd, cfg, log);
  const first = FakeClient.made[0] as FakeClient;
  const origConnect = FakeClient.prototype.connect;
  // The next client made fails to connect twice before it succeeds.
  FakeClient.prototype.connect = function (this: FakeClient, opts, cb) {
    if (this !== first && !('tried' in this)) { Object.assign(this, { tried: true }); this.connectFails = 2; }
    origConnect.call(this, opts, cb);
  };
  try {
    first.emit('event.error', Object.assign(new Error('Local: Fatal error'), { code: -150, isFatal: true }));
    first.emit('event.error', Object.assign(new Error('Local: Fatal error'), { code: -150, isFatal: true }));
    await producer.send('t', [rec('c')]);
  } finally { FakeClient.prototype.connect = origConnect; }
  assert.equal(FakeClient.made.length, 2);
  assert.deepEqual((FakeClient.made[1] as FakeClient).produced, ['c']);
  // A non-fatal error (a broker down for a while) keeps the client.
  (FakeClient.made[1] as FakeClient).emit('event.error', Object.assign(new Error('Local: All broker connections are down'), { code: -187 }));
  await producer.send('t', [rec('d')]);
  assert.equal(FakeClient.made.length, 2);
  await producer.disconnect();
});
