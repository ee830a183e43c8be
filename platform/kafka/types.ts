import type { KafkaSasl } from './security.js';
/**
 * The one small producer/consumer interface every service uses. Two drivers implement it:
 * kafkajs (pure JavaScript, the default) and node-rdkafka (librdkafka, for throughput).
 */
export type DriverName = 'kafkajs' | 'rdkafka';

export interface OutgoingRecord {
  /** The pseudonymous patient id (or another partitioning key): one key, one partition, one order. */
  key: string | Buffer | null;
  value: Buffer;
  headers?: Record<string, string>;
}

export interface IncomingRecord {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit; kept as decimal strings. */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Broker or producer timestamp, ms since the epoch. */
  timestamp: number;
  /** The partition's high watermark when the batch was fetched (the offset after its last record), for lag. */
  highWatermark?: string;
}

export interface TopicRecords {
  topic: string;
  records: readonly OutgoingRecord[];
}

export interface Producer {
  /** Resolves once every record is acknowledged by all in-sync replicas. */
  send(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  /** Several topics in one request where the driver can; records of one topic keep their order. */
  sendBatch(batches: readonly TopicRecords[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  topics: readonly string[];
  /** Where a group with no committed offset starts: the earliest record (true) or new ones only. */
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  /** Static membership id (rdkafka group.instance.id); a restart under it keeps the assignment. */
  instanceId?: string;
  /** Upper bound of records handed to one batch call. */
  maxBatchSize?: number;
  /** Partitions handled at the same time (each partition's batches stay in order). */
  partitionConcurrency?: number;
}

/**
 * Gets an ordered run of records of one partition. The driver commits the offsets after the
 * promise resolves; a rejection leaves them uncommitted so the records come again (at least once).
 */
export type BatchHandler = (records: readonly IncomingRecord[]) => Promise<void>;

export interface Consumer {
  /** Connects, subscribes and starts handing batches to the handler; resolves once running. */
  start(handler: BatchHandler): Promise<void>;
  /** Stops fetching, waits for the batch in hand and commits it, then leaves the group. */
  stop(): Promise<void>;
  /** True once the consumer holds a partition assignment (used by readiness). */
  readonly assigned: boolean;
}

export interface KafkaDriver {
  readonly name: DriverName;
  producer(): Promise<Producer>;
  consumer(opts: ConsumerOptions): Consumer;
}

export interface DriverConfig {
  brokers: readonly string[];
  clientId: string;
  ssl: boolean;
  /** PEM CA bundle; empty uses the system CAs. */
  caFile: string;
  /** SASL/PLAIN or SCRAM credentials; null without SASL. */
  sasl: KafkaSasl | null;
}
