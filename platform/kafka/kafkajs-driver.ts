import { CareloopError } from '../errors.js';
import kafkajs, { type Consumer as KjsConsumer, type Kafka as KafkaClient, type LogEntry } from 'kafkajs';
import type { Logger } from '../log.js';
import { kafkajsSecurity } from './security.js';
import type { BatchHandler, Consumer, ConsumerOptions, DriverConfig, IncomingRecord, KafkaDriver, OutgoingRecord, Producer } from './types.js';

const { Kafka, logLevel, Partitioners } = kafkajs; // CommonJS package: named imports do not resolve

function headersToStrings(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined || v === null) continue;
    out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : Array.isArray(v) ? String(v[0]) : String(v);
  }
  return out;
}

/** Warnings kafkajs repeats at every start that ask for no action from an operator. */
const BENIGN = [/^Limiting retries for the idempotent producer/];
/** Broker answers kafkajs retries by itself (a fresh or rebalancing cluster): a warning, not an error. */
const TRANSIENT = /coordinator is loading|not the correct coordinator|coordinator is not available|leader not available|no leader|does not host this topic-partition|group is rebalancing/i;

/** kafkajs writes through our logger; its own info chatter stays at debug. */
function logCreator(log: Logger) {
  return () => ({ level, log: entry }: LogEntry) => {
    const { message, ...extra } = entry;
    const fields = { kafkajs: entry.namespace, ...pickSafe(extra) };
    if (BENIGN.some((re) => re.test(message))) log.debug(fields, message);
    else if (level === logLevel.ERROR && !TRANSIENT.test(`${message} ${String(extra['error'] ?? '')}`)) log.error(fields, message);
    else if (level === logLevel.ERROR) log.warn(fields, message);
    else if (level === logLevel.WARN) log.warn(fields, message);
    else log.debug(fields, message);
  };
}

function pickSafe(extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['broker', 'clientId', 'groupId', 'topic', 'partition', 'error', 'retryCount', 'retryTime']) if (k in extra) out[k] = extra[k];
  return out;
}

/** A produce that kafkajs gave up on (its retries spent): the broker is unreachable, retry later. */
function unavailable(what: string, err: unknown): CareloopError {
  return new CareloopError('DEPENDENCY_UNAVAILABLE', `${what} failed: ${(err as Error).message}`, { cause: err });
}

export function createKafkajsDriver(cfg: DriverConfig, log: Logger): KafkaDriver {
  const kafka = new Kafka({
    clientId: cfg.clientId,
    brokers: [...cfg.brokers],
    ...kafkajsSecurity(cfg),
    logLevel: logLevel.WARN,
    logCreator: logCreator(log.child({ driver: 'kafkajs' })),
    retry: { retries: 8, initialRetryTime: 100 },
  });
  return {
    name: 'kafkajs',
    async producer(): Promise<Producer> {
      // The Java-compatible murmur2 partitioner, named so kafkajs does not warn about its default.
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
      await p.connect();
      return {
        async send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
          if (records.length === 0) return;
          await p.send({
            topic,
            acks: -1,
            messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers ?? {} })),
          }).catch((err: unknown) => { throw unavailable(`produce to ${topic}`, err); });
        },
        async sendBatch(batches): Promise<void> {
          const topicMessages = batches.filter((b) => b.records.length > 0).map((b) => ({
            topic: b.topic, messages: b.records.map((r) => ({ key: r.key, value: r.value, headers: r.headers ?? {} })),
          }));
          if (topicMessages.length > 0) await p.sendBatch({ acks: -1, topicMessages }).catch((err: unknown) => { throw unavailable('produce', err); });
        },
        async disconnect(): Promise<void> { await p.disconnect(); },
      };
    },
    consumer(opts: ConsumerOptions): Consumer {
      return new KafkajsConsumer(kafka, opts);
    },
  };
}

class KafkajsConsumer implements Consumer {
  private readonly consumer: KjsConsumer;
  private partitions = 0;

  constructor(kafka: KafkaClient, private readonly opts: ConsumerOptions) {
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs,
      heartbeatInterval: Math.max(1000, Math.floor(opts.sessionTimeoutMs / 10)),
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.partitions = Object.values(e.payload.memberAssignment).reduce((n, parts) => n + parts.length, 0);
    });
  }

  get assigned(): boolean { return this.partitions > 0; }

  async start(handler: BatchHandler): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.opts.topics], fromBeginning: this.opts.fromBeginning });
    const max = this.opts.maxBatchSize ?? 500;
    await this.consumer.run({
      partitionsConsumedConcurrently: this.opts.partitionConcurrency ?? 1,
      eachBatchAutoResolve: false,
      autoCommit: true,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        for (let i = 0; i < batch.messages.length; i += max) {
          if (!isRunning() || isStale()) return;
          const slice = batch.messages.slice(i, i + max);
          const records: IncomingRecord[] = slice.map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            headers: headersToStrings(m.headers),
            timestamp: Number(m.timestamp),
            highWatermark: batch.highWatermark,
          }));
          await handler(records);
          const last = slice[slice.length - 1];
          if (last !== undefined) resolveOffset(last.offset);
          await commitOffsetsIfNecessary();
          await heartbeat();
        }
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    this.partitions = 0;
  }
}
