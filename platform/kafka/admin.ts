import kafkajs from 'kafkajs';
import { CareloopError } from '../errors.js';
import { readRanges } from './bounded-read.js';
import { kafkajsSecurity, type KafkaSecurity } from './security.js';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs; // CommonJS package: named imports do not resolve
import { allTopics, topicConfigEntries, type TopicSpec } from './topics.js';

export interface ApplyTopicsOptions extends KafkaSecurity {
  brokers: readonly string[];
  prefix: string;
  partitionScale: number;
  replicationFactor: number;
  /** Defaults to every declared topic. */
  topics?: readonly TopicSpec[];
}

export interface TopicChange {
  topic: string;
  change: 'created' | 'partitions-added' | 'config-updated' | 'unchanged';
}

/**
 * Creates missing topics, adds partitions where the declaration grew and aligns their configs.
 * Safe to run at every start: a second run changes nothing.
 */
export async function applyTopics(opts: ApplyTopicsOptions): Promise<TopicChange[]> {
  // Metadata of a just-created topic can lag behind its creation, and kafkajs may give up on it
  // after its own retries; the whole apply is idempotent, so it is retried from the top.
  for (let attempt = 1; ; attempt++) {
    try {
      return await applyTopicsOnce(opts);
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

export interface BrokerAccess extends KafkaSecurity {
  brokers: readonly string[];
}

/** A quiet kafkajs client for administrative work (topics, offsets, one-off reads). */
export function adminClient(opts: BrokerAccess, clientId = 'careloop-admin'): kafkajs.Kafka {
  return new Kafka({ clientId, brokers: [...opts.brokers], ...kafkajsSecurity(opts), logLevel: logLevel.NOTHING });
}

/**
 * Every record of a topic from its beginning up to its end as it stood when the read began: for
 * small compacted topics read whole by a command (audit anchors). Leaves no consumer group behind.
 */
export async function readTopicToEnd(opts: BrokerAccess, topic: string, timeoutMs = 30_000): Promise<Array<{ key: Buffer | null; value: Buffer | null; timestamp: number }>> {
  const kafka = adminClient(opts, 'careloop-reader');
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) throw new CareloopError('NOT_FOUND', `topic ${topic} does not exist; run \`careloop prepare\` to create the topics`);
    const ranges = new Map((await admin.fetchTopicOffsets(topic)).filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, { from: BigInt(p.low), end: BigInt(p.high) }]));
    const out: Array<{ key: Buffer | null; value: Buffer | null; timestamp: number }> = [];
    await readRanges(kafka, admin, topic, ranges, timeoutMs, `reading ${topic} to its end`, (_p, m) => out.push({ key: m.key, value: m.value, timestamp: Number(m.timestamp) }));
    return out;
  } finally {
    await admin.disconnect();
  }
}

async function applyTopicsOnce(opts: ApplyTopicsOptions): Promise<TopicChange[]> {
  const admin = adminClient(opts).admin();
  await admin.connect();
  try {
    const specs = opts.topics ?? allTopics();
    const existing = new Set(await admin.listTopics());
    const changes: TopicChange[] = [];
    const toCreate = specs.filter((s) => !existing.has(opts.prefix + s.name));
    if (toCreate.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: toCreate.map((s) => ({
          topic: opts.prefix + s.name,
          numPartitions: s.partitions * opts.partitionScale,
          replicationFactor: opts.replicationFactor,
          configEntries: Object.entries(topicConfigEntries(s)).map(([name, value]) => ({ name, value })),
        })),
      });
      for (const s of toCreate) changes.push({ topic: opts.prefix + s.name, change: 'created' });
    }
    const present = specs.filter((s) => existing.has(opts.prefix + s.name));
    if (present.length > 0) changes.push(...(await alignExisting(admin, present, opts)));
    return changes;
  } catch (err) {
    throw new CareloopError('DEPENDENCY_UNAVAILABLE', `could not apply Kafka topics: ${(err as Error).message}`, { cause: err });
  } finally {
    await admin.disconnect();
  }
}

type Admin = kafkajs.Admin;

async function alignExisting(admin: Admin, specs: readonly TopicSpec[], opts: ApplyTopicsOptions): Promise<TopicChange[]> {
  const names = specs.map((s) => opts.prefix + s.name);
  const meta = await admin.fetchTopicMetadata({ topics: names });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
  });
  const changes: TopicChange[] = [];
  for (const spec of specs) {
    const name = opts.prefix + spec.name;
    const wanted = spec.partitions * opts.partitionScale;
    const have = meta.topics.find((t) => t.name === name)?.partitions.length ?? 0;
    let change: TopicChange['change'] = 'unchanged';
    if (have < wanted) {
      await admin.createPartitions({ topicPartitions: [{ topic: name, count: wanted }] });
      change = 'partitions-added';
    }
    const current = configs.resources.find((r) => r.resourceName === name)?.configEntries ?? [];
    const desired = topicConfigEntries(spec);
    const differs = Object.entries(desired).some(([k, v]) => current.find((e) => e.configName === k)?.configValue !== v);
    if (differs) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name, configEntries: Object.entries(desired).map(([n, value]) => ({ name: n, value })) }],
      });
      if (change === 'unchanged') change = 'config-updated';
    }
    changes.push({ topic: name, change });
  }
  return changes;
}
