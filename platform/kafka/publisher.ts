import type { AvroRecords, DeadLetter } from '../../schemas/generated/avro-types.js';
import type { SchemaCatalogue } from '../avro/catalogue.js';
import { deadLetterTopicName, type TopicName, type TopicSchema } from './topics.js';
import type { OutgoingRecord, Producer } from './types.js';

export interface TypedRecord<T extends TopicName> {
  key: string;
  value: AvroRecords[TopicSchema<T>];
  headers?: Record<string, string>;
}

/** Produces typed records: Avro-encodes them against the topic's registered schema, then sends. */
export class Publisher {
  constructor(
    private readonly producer: Producer,
    private readonly catalogue: SchemaCatalogue,
    private readonly topicPrefix: string,
  ) {}

  physical(topic: string): string {
    return this.topicPrefix + topic;
  }

  async publish<T extends TopicName>(topic: T, records: readonly TypedRecord<T>[]): Promise<void> {
    const physical = this.physical(topic);
    const encoded: OutgoingRecord[] = await Promise.all(
      records.map(async (r) => ({ key: r.key, value: await this.catalogue.encode(physical, r.value), headers: r.headers ?? {} })),
    );
    await this.producer.send(physical, encoded);
  }

  async deadLetter(groupId: string, record: DeadLetter): Promise<void> {
    const physical = this.physical(deadLetterTopicName(groupId));
    const value = await this.catalogue.encode(physical, record);
    await this.producer.send(physical, [{ key: record.key, value, headers: { 'x-error-code': record.errorCode } }]);
  }
}
