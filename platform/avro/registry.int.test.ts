import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { testConfig, uniqueId } from '../../test/helpers.js';
import { isCareloopError } from '../errors.js';
import { repoRoot } from '../paths.js';
import { SchemaCatalogue, readSchema } from './catalogue.js';

const schemasDir = join(repoRoot(), 'schemas/avro');

function catalogue(): SchemaCatalogue {
  const cfg = testConfig();
  return new SchemaCatalogue({ registryUrl: cfg.registry.url, schemasDir, topicPrefix: cfg.kafka.topicPrefix });
}

test('the registry rejects a backward-incompatible change and accepts a compatible one', async () => {
  const c = catalogue();
  const subject = `${uniqueId('compat')}-value`;
  const v1 = readSchema(schemasDir, 'DeliveryStatus') as { fields: Array<Record<string, unknown>> };
  const id1 = await c.registerSchema(subject, v1);
  assert.equal(await c.registerSchema(subject, v1), id1, 'registering the same schema again is idempotent');

  // A new field without a default: readers of v2 cannot read v1 records.
  const incompatible = { ...v1, fields: [...v1.fields, { name: 'carrier', type: 'string' }] };
  await assert.rejects(c.registerSchema(subject, incompatible), (err: unknown) => {
    assert.ok(isCareloopError(err));
    assert.equal(err.code, 'SCHEMA_INCOMPATIBLE');
    assert.match(err.message, new RegExp(subject));
    return true;
  });

  const compatible = { ...v1, fields: [...v1.fields, { name: 'carrier', type: ['null', 'string'], default: null }] };
  const id2 = await c.registerSchema(subject, compatible);
  assert.notEqual(id2, id1, 'the compatible version gets a new id');
});

test('a record that does not match its schema is refused before it is produced', async () => {
  const cfg = testConfig();
  const c = new SchemaCatalogue({ registryUrl: cfg.registry.url, schemasDir, topicPrefix: cfg.kafka.topicPrefix });
  await c.registerTopics([{ name: 'delivery.status', partitions: 1, valueSchema: 'DeliveryStatus', cleanup: 'delete', retentionMs: 1000, doc: 'test' }]);
  await assert.rejects(
    c.encode(cfg.kafka.topicPrefix + 'delivery.status', { messageId: 'm', status: 'NOT_A_STATE' } as never),
    (err: unknown) => isCareloopError(err) && err.code === 'RECORD_INVALID',
  );
  await assert.rejects(c.decode(Buffer.from('plain text')), (err: unknown) => isCareloopError(err) && err.code === 'RECORD_UNDECODABLE');
});

test('DeliveryStatus with PUSH registers over the version whose channels were WEB and SMS (and the check would refuse dropping it)', async () => {
  const c = catalogue();
  const subject = `${uniqueId('pushchannel')}-value`;
  const current = readSchema(schemasDir, 'DeliveryStatus') as { fields: Array<{ name: string; type: unknown }> };
  const channel = current.fields.find((f) => f.name === 'channel')?.type as { symbols: string[] };
  assert.deepEqual(channel.symbols, ['WEB', 'SMS', 'PUSH'], 'PUSH is appended, the others keep their places');
  const before = { ...current, fields: current.fields.map((f) => (f.name === 'channel' ? { ...f, type: { ...channel, symbols: ['WEB', 'SMS'] } } : f)) };
  await c.registerSchema(subject, before);
  await c.registerSchema(subject, current);
  const reverse = `${uniqueId('pushchannel')}-value`;
  await c.registerSchema(reverse, current);
  await assert.rejects(c.registerSchema(reverse, before), (err: unknown) => isCareloopError(err) && err.code === 'SCHEMA_INCOMPATIBLE');
});
