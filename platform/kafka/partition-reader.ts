import kafkajs from 'kafkajs';
import { CareloopError } from '../errors.js';
import { adminClient, type BrokerAccess } from './admin.js';
import { readRanges, type OffsetRange } from './bounded-read.js';

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
  try {
    const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    if (meta === undefined) throw new CareloopError('NOT_FOUND', `topic ${topic} does not exist`);
    const partitioner = Partitioners.DefaultPartitioner();
    const wanted = new Set(keys.map((key) => partitioner({ topic, partitionMetadata: meta.partitions, message: { key, value: null } })));
    const keySet = new Set(keys);
    const [starts, highs] = await Promise.all([admin.fetchTopicOffsetsByTimestamp(topic, since), admin.fetchTopicOffsets(topic)]);
    const startOf = new Map(starts.map((p) => [p.partition, BigInt(p.offset)]));
    // Per wanted partition: [from, end) where something lies in between.
    const ranges = new Map<number, OffsetRange>();
    for (const h of highs) {
      if (!wanted.has(h.partition)) continue;
      const end = BigInt(h.high);
      const s = startOf.get(h.partition);
      const from = s === undefined || s < 0n ? end : s;
      if (from < end) ranges.set(h.partition, { from, end });
    }
    const out: KeyedRecord[] = [];
    await readRanges(kafka, admin, topic, ranges, timeoutMs, `reading ${topic} since ${since}`, (partition, m) => {
      if (m.key !== null && keySet.has(m.key.toString())) out.push({ partition, offset: m.offset, key: m.key, value: m.value });
    });
    return out;
  } finally {
    await admin.disconnect();
  }
}
