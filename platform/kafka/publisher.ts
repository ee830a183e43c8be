import type { AvroRecords, DeadLetter } from '../../schemas/generated/avro-types.js';
import type { SchemaCatalogue } from '../avro/catalogue.js';
import { deadLetterTopicName, type TopicName, type TopicSchema } from './topics.js';
import type { Metrics } from '../service/metrics.js';
import { traceHeaders } from '../telemetry/tracing.js';
import type { OutgoingRecord, Producer } from './types.js';

export interface TypedRecord<T extends TopicName> {
  key: string;
  value: AvroRecords[TopicSchema<T>];
  headers?: Record<string, string>;
}

interface Pending {
  topic: string;
  records: OutgoingRecord[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

const MAX_RECORDS_PER_REQUEST = 2000;

/**
 * Produces typed records: Avro-encodes them against the topic's registered schema and sends them.
 * Publishes made in the same turn of the event loop (many patients handled concurrently) leave in
 * one produce request; each caller's promise resolves when its own records are acknowledged.
 */
export class Publisher {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly producer: Producer,
    private readonly catalogue: SchemaCatalogue,
    private readonly topicPrefix: string,
    /** careloop_records_produced_total, counted per topic once the broker acknowledged. */
    private readonly produced?: Metrics['recordsProduced'],
  ) {}

  physical(topic: string): string {
    return this.topicPrefix + topic;
  }

  async publish<T extends TopicName>(topic: T, records: readonly TypedRecord<T>[]): Promise<void> {
    if (records.length === 0) return;
    const physical = this.physical(topic);
    // Read before the first await: the caller's context (its span) is the records' parent.
    const trace = traceHeaders();
    const values = await this.catalogue.encodeMany(physical, records.map((r) => r.value));
    const encoded: OutgoingRecord[] = records.map((r, i) => ({ key: r.key, value: values[i] as Buffer, headers: { ...trace, ...r.headers } }));
    await this.enqueue(physical, encoded);
    this.produced?.inc({ topic }, records.length);
  }

  async deadLetter(groupId: string, record: DeadLetter): Promise<void> {
    const physical = this.physical(deadLetterTopicName(groupId));
    const value = await this.catalogue.encode(physical, record);
    await this.enqueue(physical, [{ key: record.key, value, headers: { 'x-error-code': record.errorCode } }]);
    this.produced?.inc({ topic: deadLetterTopicName(groupId) });
  }

  private enqueue(topic: string, records: OutgoingRecord[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ topic, records, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => { void this.flush(); });
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const pending = this.queue;
    this.queue = [];
    for (let i = 0; i < pending.length;) {
      const chunk: Pending[] = [];
      let count = 0;
      while (i < pending.length && (chunk.length === 0 || count + (pending[i]?.records.length ?? 0) <= MAX_RECORDS_PER_REQUEST)) {
        const p = pending[i++] as Pending;
        chunk.push(p);
        count += p.records.length;
      }
      void this.send(chunk);
    }
  }

  /** One request for a chunk; records of a topic stay in the order they were published. */
  private async send(chunk: readonly Pending[]): Promise<void> {
    const byTopic = new Map<string, OutgoingRecord[]>();
    for (const p of chunk) {
      const list = byTopic.get(p.topic) ?? [];
      list.push(...p.records);
      byTopic.set(p.topic, list);
    }
    try {
      await this.producer.sendBatch([...byTopic].map(([topic, records]) => ({ topic, records })));
      for (const p of chunk) p.resolve();
    } catch (err) {
      for (const p of chunk) p.reject(err);
    }
  }
}
