import { randomUUID } from 'node:crypto';
import type kafkajs from 'kafkajs';
import { CareloopError } from '../errors.js';

/** Offsets [from, end) of one partition to read. */
export interface OffsetRange { from: bigint; end: bigint }

/**
 * Reads the given offset ranges of a topic once, with a throw-away consumer group that it deletes
 * afterwards: each record in a range is handed to `take`, and the read ends when every range has
 * reached its end (or fails after `timeoutMs` with DEPENDENCY_UNAVAILABLE, naming `what`). The one
 * bounded read under the one-off readers (whole small topics, a recovery's keys since a time).
 */
export async function readRanges(kafka: kafkajs.Kafka, admin: kafkajs.Admin, topic: string, ranges: ReadonlyMap<number, OffsetRange>, timeoutMs: number, what: string,
  take: (partition: number, m: kafkajs.KafkaMessage) => void): Promise<void> {
  if (ranges.size === 0) return;
  const groupId = `careloop-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  try {
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: false });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new CareloopError('DEPENDENCY_UNAVAILABLE', `${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
        const pending = new Set(ranges.keys());
        consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const r = ranges.get(batch.partition);
            if (r === undefined || !pending.has(batch.partition)) return;
            for (const m of batch.messages) {
              const o = BigInt(m.offset);
              if (o >= r.from && o < r.end) take(batch.partition, m);
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
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
