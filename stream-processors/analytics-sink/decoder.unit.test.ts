import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import avsc from 'avsc';
import { readSchema } from '../../platform/avro/catalogue.js';
import { CareloopError } from '../../platform/errors.js';
import { repoRoot } from '../../platform/paths.js';
import { AnalyticsDecoder } from './decoder.js';
import { toEventRow, tsvLine } from './rows.js';

const writer = avsc.Type.forSchema(readSchema(join(repoRoot(), 'schemas/avro'), 'InboundMessage') as avsc.Schema);
const frame = (id: number, body: Buffer): Buffer => { const h = Buffer.alloc(5); h.writeInt32BE(id, 1); return Buffer.concat([h, body]); };
const value = {
  messageId: 'm1', traceId: 't1', organizationId: 'o1', patientId: 'pt_1', channel: 'SMS', clientMessageId: null,
  receivedAt: Date.UTC(2026, 10, 24, 10), locale: 'en', text: { keyId: 'k', nonce: Buffer.alloc(12), ciphertext: Buffer.from('CANARY-text') },
};

test('the decoder reads only the analysed fields: the encrypted text is skipped, the row is the same as from a full decode', async () => {
  const lookups: number[] = [];
  const decoder = new AnalyticsDecoder(async (id) => { lookups.push(id); if (id === 7) return writer; throw new CareloopError('RECORD_UNDECODABLE', `schema id ${id} is unknown to the registry`); });
  const good = frame(7, writer.toBuffer(value));
  await decoder.prepare([good, good, frame(8, Buffer.from([1])), null]);
  assert.deepEqual(lookups, [7, 8], 'each schema id looked up once');
  const got = decoder.decode(good) as Record<string, unknown>;
  assert.equal(got['text'], undefined, 'the text is never decoded');
  assert.equal(got['traceId'], undefined);
  assert.deepEqual(toEventRow('chat.inbound', got), toEventRow('chat.inbound', value));
  for (const [bad, reason] of [[frame(8, Buffer.from([1])), /unknown to the registry/], [good.subarray(0, good.length - 3), /truncated|does not decode/], [Buffer.concat([good, Buffer.from([0])]), /trailing/], [Buffer.from('plain'), /wire format/]] as const) {
    assert.throws(() => decoder.decode(bad), (e: unknown) => e instanceof CareloopError && e.code === 'RECORD_UNDECODABLE' && reason.test(e.message));
  }
});

test('a row becomes one TabSeparated line; tabs, newlines, quotes and backslashes are escaped', () => {
  const row = toEventRow('chat.inbound', { ...value, organizationId: "o\t1", patientId: 'p\\1', locale: "it's\nx" });
  assert.ok(row);
  const line = tsvLine(row);
  assert.equal(line.split('\t').length, 13);
  assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
  assert.ok(line.includes('\to\\t1\tp\\\\1\t'));
  assert.ok(line.endsWith("\t['locale']\t['it\\'s\\nx']\n"));
});
