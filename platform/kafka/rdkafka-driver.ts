import { createRequire } from 'node:module';
import type * as Rd from 'node-rdkafka';
import { CareloopError } from '../errors.js';
import type { Logger } from '../log.js';
import { rdkafkaSecurity } from './security.js';
import type { BatchHandler, Consumer, ConsumerOptions, DriverConfig, IncomingRecord, KafkaDriver, OutgoingRecord, Producer, TopicRecords } from './types.js';

const require = createRequire(import.meta.url);

/** node-rdkafka is a native addon: loaded on first use so the kafkajs driver works without it. */
function load(): typeof Rd {
  try {
    return require('node-rdkafka') as typeof Rd;
  } catch (err) {
    throw new CareloopError('CONFIG_INVALID', 'kafka.driver=rdkafka but node-rdkafka did not load; run `npm ci` (it builds the addon) or use kafka.driver=kafkajs', { cause: err });
  }
}

function baseConfig(cfg: DriverConfig): Record<string, string | number | boolean> {
  return {
    'metadata.broker.list': cfg.brokers.join(','),
    'client.id': cfg.clientId,
    ...rdkafkaSecurity(cfg),
    'socket.keepalive.enable': true,
  };
}

function toHeaders(h: Record<string, string> | undefined): Rd.MessageHeader[] {
  return Object.entries(h ?? {}).map(([k, v]) => ({ [k]: v }));
}

function fromHeaders(h: Rd.MessageHeader[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of h ?? []) for (const [k, v] of Object.entries(entry)) out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  return out;
}

function connect(client: Rd.Client<string>): Promise<void> {
  return new Promise((resolve, reject) => {
    client.connect({ timeout: 10_000 }, (err) => (err ? reject(new CareloopError('DEPENDENCY_UNAVAILABLE', `librdkafka could not connect: ${err.message}`, { cause: err })) : resolve()));
  });
}

export function createRdkafkaDriver(cfg: DriverConfig, log: Logger): KafkaDriver {
  const rd = load();
  const dlog = log.child({ driver: 'rdkafka' });
  return {
    name: 'rdkafka',
    async producer(): Promise<Producer> {
      return RdkafkaProducer.open(rd, cfg, dlog);
    },
    consumer(opts: ConsumerOptions): Consumer {
      return new RdkafkaConsumer(rd, cfg, opts, dlog);
    },
  };
}

/** librdkafka's "the client instance is unusable" code (RD_KAFKA_RESP_ERR__FATAL). */
const ERR_FATAL = -150;

const isFatal = (err: unknown): boolean => {
  const e = err as { code?: unknown; isFatal?: unknown } | null;
  return e !== null && typeof e === 'object' && (e.isFatal === true || e.code === ERR_FATAL);
};

/**
 * The idempotent producer. librdkafka can declare it unusable (a fatal error: after a broker
 * crash, sequence numbers it no longer agrees on with the broker); every produce then fails at
 * once. It is then replaced by a new one (a new producer id): the records in flight fail with
 * DEPENDENCY_UNAVAILABLE and are sent again by their callers under the same message ids, which the
 * processors dedupe; later sends go through the new client.
 */
export class RdkafkaProducer implements Producer {
  private replacing: Promise<void> | null = null;
  private closed = false;

  private constructor(private readonly rd: typeof Rd, private readonly cfg: DriverConfig, private readonly log: Logger, private client: Rd.HighLevelProducer) {}

  static async open(rd: typeof Rd, cfg: DriverConfig, log: Logger): Promise<RdkafkaProducer> {
    const producer = new RdkafkaProducer(rd, cfg, log, RdkafkaProducer.create(rd, cfg));
    producer.watch(producer.client);
    await connect(producer.client);
    return producer;
  }

  private static create(rd: typeof Rd, cfg: DriverConfig): Rd.HighLevelProducer {
    return new rd.HighLevelProducer({
      ...baseConfig(cfg),
      'enable.idempotence': true,
      'linger.ms': 2,
      'dr_cb': true,
    }, {
      // A topic-level property: the same key-to-partition mapping as Java clients and kafkajs,
      // so one patient's ordering survives a driver switch (tested).
      'partitioner': 'murmur2_random',
      'acks': -1,
    });
  }

  private watch(client: Rd.HighLevelProducer): void {
    client.on('event.error', (err) => {
      if (isFatal(err)) this.fatal(client, err);
      else this.log.warn({ err: err.message }, 'producer error');
    });
  }

  /** Replaces `client` once, whoever notices first (its error event or a failed delivery). */
  private fatal(client: Rd.HighLevelProducer, err: unknown): void {
    if (this.closed || client !== this.client || this.replacing !== null) return;
    this.log.error({ err: (err as Error).message }, 'producer hit a fatal error; replacing it');
    const next = RdkafkaProducer.create(this.rd, this.cfg);
    this.watch(next);
    this.replacing = (async () => {
      for (let attempt = 1; !this.closed; attempt++) {
        try { await connect(next); break; } catch (e) {
          this.log.warn({ err: (e as Error).message, attempt }, 'replacement producer could not connect yet');
          await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
        }
      }
      this.client = next;
      this.replacing = null;
      client.disconnect(() => undefined);
      this.log.warn({}, 'producer replaced');
    })();
  }

  async send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (this.replacing !== null) await this.replacing;
    const client = this.client;
    await Promise.all(records.map((r) => new Promise<void>((resolve, reject) => {
      const done = (err: unknown): void => {
        if (!err) { resolve(); return; }
        if (isFatal(err)) this.fatal(client, err);
        reject(new CareloopError('DEPENDENCY_UNAVAILABLE', `produce to ${topic} failed: ${(err as Error).message}`, { cause: err }));
      };
      try {
        client.produce(topic, null, r.value, r.key ?? undefined, Date.now(), toHeaders(r.headers), done);
      } catch (err) { done(err); }
    })));
  }

  async sendBatch(batches: readonly TopicRecords[]): Promise<void> {
    await Promise.all(batches.map((b) => this.send(b.topic, b.records)));
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    if (this.replacing !== null) await this.replacing;
    const client = this.client;
    await new Promise<void>((resolve) => { client.flush(5000, () => client.disconnect(() => resolve())); });
  }
}

class RdkafkaConsumer implements Consumer {
  private consumer: Rd.KafkaConsumer;
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly rd: typeof Rd, private readonly cfg: DriverConfig, private readonly opts: ConsumerOptions, private readonly log: Logger) {
    this.consumer = this.build();
  }

  private build(): Rd.KafkaConsumer {
    const { cfg, opts } = this;
    const consumer = new this.rd.KafkaConsumer({
      ...baseConfig(cfg),
      'group.id': opts.groupId,
      'enable.auto.commit': false,
      'session.timeout.ms': opts.sessionTimeoutMs,
      // One process may consume several groups under the same id: ids are only unique per group.
      ...(opts.instanceId === undefined ? {} : { 'group.instance.id': opts.instanceId }),
      'fetch.wait.max.ms': 100,
      'rebalance_cb': true,
      // With EOF events a fetch returns as soon as the consumer has caught up, instead of waiting
      // for a quiet gap: without them a steady stream is held back until a batch fills up.
      'enable.partition.eof': true,
    }, { 'auto.offset.reset': opts.fromBeginning ? 'earliest' : 'latest' });
    consumer.on('event.error', (err) => this.log.warn({ err: err.message }, 'consumer error'));
    return consumer;
  }

  get assigned(): boolean {
    return this.running && this.consumer.assignments().length > 0;
  }

  async start(handler: BatchHandler): Promise<void> {
    await this.open();
    this.running = true;
    this.loop = this.run(handler);
  }

  private async open(): Promise<void> {
    await connect(this.consumer);
    this.consumer.setDefaultConsumeTimeout(100);
    this.consumer.subscribe([...this.opts.topics]);
  }

  /**
   * After a fatal error (a static member fenced when the broker came back from a long outage, for
   * one) librdkafka's client is unusable for good: it is replaced by a new one that rejoins the group
   * and resumes from the committed offsets, so nothing uncommitted is lost. Retries until it connects.
   */
  private async rebuild(): Promise<void> {
    const old = this.consumer;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5_000);
      try { old.disconnect(() => { clearTimeout(timer); resolve(); }); } catch { clearTimeout(timer); resolve(); }
    });
    while (this.running) {
      this.consumer = this.build();
      try {
        await this.open();
        this.log.warn({ group: this.opts.groupId }, 'consumer replaced after a fatal error; resuming from the committed offsets');
        return;
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'replacing the consumer failed; retrying');
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  private consume(n: number): Promise<Rd.Message[]> {
    return new Promise((resolve, reject) => {
      this.consumer.consume(n, (err, messages) => (err ? reject(err) : resolve(messages)));
    });
  }

  private async run(handler: BatchHandler): Promise<void> {
    const max = this.opts.maxBatchSize ?? 500;
    while (this.running) {
      let messages: Rd.Message[];
      try {
        messages = await this.consume(max);
      } catch (err) {
        if (isFatal(err)) {
          this.log.error({ err: (err as Error).message, group: this.opts.groupId }, 'consumer hit a fatal error; replacing it');
          await this.rebuild();
          continue;
        }
        this.log.warn({ err: (err as Error).message }, 'consume failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      // Partitions run side by side, each in order; a failed one is rewound, the others committed.
      const batches = byPartition(messages, (topic, partition) => this.highWatermark(topic, partition));
      const outcomes = await Promise.allSettled(batches.map(async (batch) => {
        await handler(batch);
        const last = batch[batch.length - 1] as IncomingRecord;
        this.consumer.commit({ topic: last.topic, partition: last.partition, offset: Number(last.offset) + 1 });
      }));
      const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ batch: batches[i] as IncomingRecord[], err: o.reason as Error }] : []));
      let rewound = true;
      for (const { batch, err } of failed) {
        const first = batch[0] as IncomingRecord;
        this.log.error({ err: err.message, topic: first.topic, partition: first.partition }, 'batch failed; seeking back');
        if (!(await this.seek(first))) rewound = false;
      }
      // A seek that failed leaves the fetch position past the failed batch, and the next batch's
      // commit would skip it: a new consumer starts again from the committed offsets instead.
      if (!rewound) await this.rebuild();
      else if (failed.length > 0) await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** librdkafka's cached high watermark from the last fetch; none before the first. */
  private highWatermark(topic: string, partition: number): string | undefined {
    try {
      const w = this.consumer.getWatermarkOffsets(topic, partition);
      return w.highOffset >= 0 ? String(w.highOffset) : undefined;
    } catch {
      return undefined;
    }
  }

  /** False when librdkafka could not rewind the partition (the error is logged). */
  private seek(r: IncomingRecord): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (err: unknown): void => {
        if (err) this.log.error({ err: (err as Error).message, topic: r.topic, partition: r.partition }, 'seek back failed; replacing the consumer');
        resolve(!err);
      };
      try {
        this.consumer.seek({ topic: r.topic, partition: r.partition, offset: Number(r.offset) }, 1000, done);
      } catch (err) { done(err); }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
  }
}

/** Splits fetched messages into ordered runs of one partition each. */
function byPartition(messages: readonly Rd.Message[], highWatermark: (topic: string, partition: number) => string | undefined): IncomingRecord[][] {
  const groups = new Map<string, { records: IncomingRecord[]; highWatermark: string | undefined }>();
  for (const m of messages) {
    const k = `${m.topic}:${m.partition}`;
    let g = groups.get(k);
    // Once per partition and fetch: asking librdkafka for each message cost more than decoding it.
    if (g === undefined) groups.set(k, (g = { records: [], highWatermark: highWatermark(m.topic, m.partition) }));
    g.records.push({
      topic: m.topic,
      partition: m.partition,
      offset: String(m.offset),
      key: m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(String(m.key)),
      value: m.value ?? null,
      headers: fromHeaders(m.headers),
      timestamp: m.timestamp ?? Date.now(),
      highWatermark: g.highWatermark,
    });
  }
  return [...groups.values()].map((g) => g.records);
}
