import { CareloopError } from '../errors.js';
import { startConsumerLoop, type BatchProcessor, type RecordProcessor } from '../kafka/consumer-loop.js';
import { GROUPS, type GroupId } from '../kafka/topics.js';
import type { Consumer } from '../kafka/types.js';
import type { ServiceContext } from './types.js';

export interface GroupConsumerOptions {
  process: RecordProcessor;
  afterBatch?: () => Promise<void>;
  /** Whole batches instead of one record at a time (see BatchProcessor); `process` is then unused. */
  processBatch?: BatchProcessor;
  /** Records handed to one batch at most (default the driver's 500): bulk writers want more. */
  maxBatchSize?: number;
}

/**
 * Starts the consumer loop of a declared group with the process's shared clients and the configured
 * concurrency: the one way a service consumes, so every group retries, dead-letters and scales alike.
 */
export async function startGroupConsumer(ctx: ServiceContext, groupId: GroupId, opts: GroupConsumerOptions): Promise<Consumer> {
  const group = GROUPS.find((g) => g.id === groupId);
  if (group === undefined) throw new CareloopError('CONFIG_INVALID', `consumer group ${groupId} is not declared in topics.ts`);
  const { cfg, deps } = ctx;
  const [driver, catalogue, publisher] = await Promise.all([deps.driver(), deps.catalogue(), deps.publisher()]);
  const prefix = cfg.kafka.topicPrefix;
  const consumer = driver.consumer({
    groupId: prefix + group.id,
    topics: group.topics.map((t) => prefix + t),
    fromBeginning: true,
    sessionTimeoutMs: cfg.consumer.sessionTimeout,
    ...(cfg.consumer.instanceId === '' ? {} : { instanceId: cfg.consumer.instanceId }),
    partitionConcurrency: cfg.consumer.partitionConcurrency,
    ...(opts.maxBatchSize === undefined ? {} : { maxBatchSize: opts.maxBatchSize }),
  });
  await startConsumerLoop({
    groupId: group.id, consumer, catalogue, publisher, topicPrefix: prefix,
    log: ctx.log, metrics: ctx.metrics, maxRetries: cfg.consumer.maxRetries, retryBackoffMs: cfg.consumer.retryBackoff,
    keyConcurrency: cfg.consumer.keyConcurrency, process: opts.process,
    ...(opts.afterBatch ? { afterBatch: opts.afterBatch } : {}),
    ...(opts.processBatch ? { processBatch: opts.processBatch } : {}),
  });
  return consumer;
}
