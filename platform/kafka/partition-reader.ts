import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { CareloopError } from '../errors.js';
import { adminClient, type BrokerAccess } from './admin.js';

const { Partitioners } = kafkajs; // CommonJS package: named imports do not resolve

export interface KeyedRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

/**
 * The records with one of `keys` that a topic holds from timestamp `since` up to its end as it
 * stands when the read begins: only the keys' partitions (the producers' murmur2 partitioner), from
 * the broker's offset for that time. A one-off read for recovery (the reminder engine asks it what a
 * killed scheduler had published); leaves no consumer group behind.
 */
export async function readKeysSince(opts: BrokerAccess, topic: string, keys: readonly string[], since: number, timeoutMs = 30_000): Promise<KeyedRecord[]> {
  if (keys.length === 0) return [];
  const kafka = adminClient(opts, 'careloop-recovery-reader');
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `careloop-recovery-${randomUUID()}`;
  try {
    const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    if (meta === undefined) throw new CareloopError('NOT_FOUND', `topic ${topic} does not exist`);
    const partitioner = Partitioners.DefaultPartitioner();
    const wanted = new Set(keys.map((key) => partitioner({ topic, partitionMetadata: meta.partitions, message: { key, value: null } })));
    const keySet = new Set(keys);
    const [starts, highs] = await Promise.all([admin.fetchTopicOffsetsByTimestamp(topic, since), admin.fetchTopicOffsets(topic)]);
    const startOf = new Map(starts.map((p) => [p.partition, BigInt(p.offset)]));
    // Per wanted partition: [from, end) where something lies in between.
    const ranges = new Map<number, { from: bigint; end: bigint }>();
    for (const h of highs) {
      if (!wanted.has(h.partition)) continue;
      const end = BigInt(h.high);
      const s = startOf.get(h.partition);
      const from = s === undefined || s < 0n ? end : s;
      if (from < end) ranges.set(h.partition, { from, end });
    }
    if (ranges.size === 0) return [];
    const out: KeyedRecord[] = [];
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: false });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new CareloopError('DEPENDENCY_UNAVAILABLE', `reading ${topic} since ${since} did not finish within ${timeoutMs} ms`)), timeoutMs);
        const pending = new Set(ranges.keys());
        consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const r = ranges.get(batch.partition);
            if (r === undefined || !pending.has(batch.partition)) return;
            for (const m of batch.messages) {
              const o = BigInt(m.offset);
              if (o >= r.from && o < r.end && m.key !== null && keySet.has(m.key.toString())) out.push({ partition: batch.partition, offset: m.offset, key: m.key, value: m.value });
            }
            const last = batch.messages.at(-1);
            if (last !== undefined && BigInt(last.offset) + 1n >= r.end) pending.delete(batch.partition);
            if (pending.size === 0) { clearTimeout(timer); resolve(); }
          },
        }).catch((err: unknown) => { clearTimeout(timer); reject(err as Error); });
        // Seeks given right after run() apply once the group is joined (kafkajs' documented pattern).
        for (const [partition, r] of ranges) consumer.seek({ topic, partition, offset: r.from.toString() });
      });
    } finally {
      await consumer.disconnect();
    }
    return out;
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
