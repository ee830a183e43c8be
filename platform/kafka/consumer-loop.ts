import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { normalizeError, type CareloopError } from '../errors.js';
import { recordLogger, type Logger, type RecordIds } from '../log.js';
import type { SchemaCatalogue } from '../avro/catalogue.js';
import type { Metrics } from '../service/metrics.js';
import { SpanKind, contextFromHeaders, inSpan } from '../telemetry/tracing.js';
import type { Publisher } from './publisher.js';
import type { Consumer, IncomingRecord } from './types.js';

export interface RecordContext {
  record: IncomingRecord;
  /** Child logger carrying the record's ids. */
  log: Logger;
  /** 1 on the first try. */
  attempt: number;
  /** The logical topic (without the run's prefix). */
  topic: string;
}

export type RecordProcessor = (value: unknown, ctx: RecordContext) => Promise<void>;

/** What a batch processor gets besides its records: the same dead-letter path as per-record processing. */
export interface BatchContext {
  /** The logical topic (without the run's prefix) of a record. */
  topicOf(record: IncomingRecord): string;
  /** Sends a poison record to the group's dead-letter topic with its code and reason. */
  deadLetter(record: IncomingRecord, err: CareloopError): Promise<void>;
}

/**
 * Takes a whole partition batch at once (bulk writers at 100k records/s, where a promise, a span
 * and two metric updates per record cost more than the work). It decodes and dead-letters itself;
 * a rejection leaves the batch uncommitted, as for per-record processing.
 */
export type BatchProcessor = (records: readonly IncomingRecord[], ctx: BatchContext) => Promise<void>;

export interface ConsumerLoopOptions {
  groupId: string;
  consumer: Consumer;
  catalogue: SchemaCatalogue;
  publisher: Publisher;
  topicPrefix: string;
  log: Logger;
  metrics: Metrics;
  maxRetries: number;
  retryBackoffMs: number;
  process: RecordProcessor;
  /** When set, replaces per-record processing: the batch goes to it whole (`process` is not called). */
  processBatch?: BatchProcessor;
  /** Keys (patients) of one batch handled at the same time; one key's records stay in order. */
  keyConcurrency?: number;
  /** Called after each batch's records are processed and before its offsets are committed. */
  afterBatch?: () => Promise<void>;
}

/** Records of one key in partition order; a batch of one partition splits into independent runs. */
export function groupByKey(records: readonly IncomingRecord[]): IncomingRecord[][] {
  const groups = new Map<string, IncomingRecord[]>();
  for (const r of records) {
    const k = r.key === null ? '' : r.key.toString('latin1');
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [r]);
    else g.push(r);
  }
  return [...groups.values()];
}

/** Runs work over items with at most `limit` in flight; the first failure rejects after all settle. */
export async function forEachLimit<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      try { await work(item); } catch (err) { failures.push(err); }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw normalizeError(failures[0]);
}

function idsOf(value: unknown): RecordIds {
  if (value === null || typeof value !== 'object') return {};
  const v = value as Record<string, unknown>;
  const pick = (k: string): string | undefined => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const ids: RecordIds = {};
  const messageId = pick('messageId') ?? pick('signalId') ?? pick('actionId');
  if (messageId !== undefined) ids.messageId = messageId;
  for (const k of ['organizationId', 'patientId', 'traceId'] as const) {
    const x = pick(k);
    if (x !== undefined) ids[k] = x;
  }
  return ids;
}

/**
 * The consumer loop around a pure processor: decodes each record, processes it in partition order,
 * retries retryable failures with exponential backoff and sends the rest to the group's dead-letter
 * topic with their code. While a dependency stays unavailable it does not dead-letter: the batch
 * fails uncommitted and comes again, so nothing is lost.
 */
export async function startConsumerLoop(opts: ConsumerLoopOptions): Promise<Consumer> {
  const batchContext: BatchContext = {
    topicOf: (record) => (record.topic.startsWith(opts.topicPrefix) ? record.topic.slice(opts.topicPrefix.length) : record.topic),
    deadLetter: (record, err) => deadLetter(opts, record, batchContext.topicOf(record), err, 1),
  };
  const processBatch = opts.processBatch;
  await opts.consumer.start(async (records) => {
    if (processBatch !== undefined) {
      await processBatch(records, batchContext);
      await opts.afterBatch?.();
      recordLag(opts, records);
      return;
    }
    const groups = groupByKey(records);
    await forEachLimit(groups, opts.keyConcurrency ?? 1, async (group) => {
      for (const record of group) await handleRecord(opts, record);
    });
    await opts.afterBatch?.();
    recordLag(opts, records);
  });
  opts.log.info({ group: opts.groupId }, 'consumer loop started');
  return opts.consumer;
}

/** Lag after a batch: the partition's high watermark minus the offset after the batch's last record. */
function recordLag(opts: ConsumerLoopOptions, records: readonly IncomingRecord[]): void {
  const last = records[records.length - 1];
  if (last?.highWatermark === undefined) return;
  const topic = last.topic.startsWith(opts.topicPrefix) ? last.topic.slice(opts.topicPrefix.length) : last.topic;
  const lag = Number(BigInt(last.highWatermark) - BigInt(last.offset) - 1n);
  opts.metrics.consumerLag.set({ group: opts.groupId, topic, partition: String(last.partition) }, Math.max(0, lag));
}

/** Each record is processed in a consumer span, child of the traceparent its producer put on it. */
function handleRecord(opts: ConsumerLoopOptions, record: IncomingRecord): Promise<void> {
  const topic = record.topic.startsWith(opts.topicPrefix) ? record.topic.slice(opts.topicPrefix.length) : record.topic;
  const attributes = { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.consumer.group.name': opts.groupId, 'messaging.destination.partition.id': String(record.partition), 'messaging.kafka.offset': record.offset };
  return inSpan(`process ${topic}`, SpanKind.CONSUMER, attributes, contextFromHeaders(record.headers), () => handleInSpan(opts, record));
}

async function handleInSpan(opts: ConsumerLoopOptions, record: IncomingRecord): Promise<void> {
  const topic = record.topic.startsWith(opts.topicPrefix) ? record.topic.slice(opts.topicPrefix.length) : record.topic;
  const timer = opts.metrics.recordDuration.startTimer({ group: opts.groupId, topic });
  let value: unknown;
  try {
    value = await opts.catalogue.decode(record.value);
  } catch (err) {
    const e = normalizeError(err);
    if (e.retryable) throw e; // the registry is down: leave the batch uncommitted
    await deadLetter(opts, record, topic, e, 1);
    timer();
    return;
  }
  // The child logger is built only when something logs: building one per record costs real CPU.
  let child: Logger | undefined;
  const logOf = (): Logger => (child ??= recordLogger(opts.log, idsOf(value)));
  for (let attempt = 1; ; attempt++) {
    try {
      await opts.process(value, { record, attempt, topic, get log() { return logOf(); } });
      opts.metrics.recordsProcessed.inc({ group: opts.groupId, topic, outcome: attempt === 1 ? 'ok' : 'retried' });
      timer();
      return;
    } catch (err) {
      const e = normalizeError(err);
      if (e.retryable && attempt <= opts.maxRetries) {
        logOf().warn({ code: e.code, attempt }, 'retryable failure; backing off');
        await sleep(opts.retryBackoffMs * 2 ** (attempt - 1));
        continue;
      }
      if (e.retryable && e.code === 'DEPENDENCY_UNAVAILABLE') {
        logOf().error({ code: e.code, attempt }, 'dependency still unavailable; leaving the batch uncommitted');
        throw e;
      }
      await deadLetter(opts, record, topic, e, attempt);
      timer();
      return;
    }
  }
}

async function deadLetter(opts: ConsumerLoopOptions, record: IncomingRecord, topic: string, e: CareloopError, attempts: number): Promise<void> {
  await opts.publisher.deadLetter(opts.groupId, {
    id: randomUUID(),
    consumerGroup: opts.groupId,
    originalTopic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    value: record.value,
    headers: record.headers,
    errorCode: e.code,
    reason: e.message,
    attempts,
    failedAt: Date.now(),
  });
  opts.metrics.recordsProcessed.inc({ group: opts.groupId, topic, outcome: 'dead_lettered' });
  opts.log.warn({ group: opts.groupId, topic, partition: record.partition, offset: record.offset, code: e.code }, 'record dead-lettered');
}
