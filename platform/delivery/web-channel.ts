import type { RedisClient } from '../storage/redis.js';
import { historyKey } from '../stores/chat-history.js';
import { Outbox, entryFromFields, outboxKey, outboxPositionsKey, type OutboxEntry } from '../stores/outbox.js';
import { STREAM_ID_CMP } from '../stores/stream-ids.js';
import { RouteTable, gatewayChannel } from '../stores/routing.js';

// Finds a message no socket has been shown yet (after '~seen') by its id; ARGV[2] = '1' also deletes it. Returns its fields or false.
const FIND = `${STREAM_ID_CMP}
local seen = redis.call('HGET', KEYS[2], '~seen') or '0-0'
local rows = redis.call('XRANGE', KEYS[1], '(' .. seen, '+')
for _, r in ipairs(rows) do
  local f = r[2]
  for i = 1, #f, 2 do
    if f[i] == 'm' and f[i + 1] == ARGV[1] then
      if ARGV[2] == '1' then redis.call('XDEL', KEYS[1], r[1]) end
      return f
    end
  end
end
return false`;

function entryOf(fields: unknown): Omit<OutboxEntry, 'streamId'> | null {
  const e = entryFromFields('', fields);
  if (e === null) return null;
  const { streamId: _, ...rest } = e;
  return rest;
}

/**
 * The web channel: the one contract between the delivery services and the gateway (see
 * docs/web-channel.md). Delivery queues a message in the patient's outbox (a Redis stream, sealed,
 * deduplicated by message id) and nudges every gateway instance in the route table over pub/sub;
 * each instance holding a socket of the patient sends the outbox in order from its own position, so
 * every socket on every pod gets each message once; a message behind the '~seen' mark has been
 * shown in an open chat ("seen") and leaves once every attached instance sent it. Nobody else reads or writes these
 * keys: erasure and fallbacks go through this module too.
 */
export class WebChannel {
  readonly outbox: Outbox;
  readonly routes: RouteTable;

  /** prefix: redis.keyPrefix; dedupeTtlSeconds: delivery.dedupeWindow in seconds. */
  constructor(private readonly redis: RedisClient, private readonly prefix = '', dedupeTtlSeconds?: number) {
    this.outbox = new Outbox(redis, prefix, dedupeTtlSeconds);
    this.routes = new RouteTable(redis, prefix);
  }

  /** Queues the message and nudges the instances holding the patient; false for a duplicate. */
  async deliver(patientId: string, entry: Omit<OutboxEntry, 'streamId'>): Promise<boolean> {
    const queued = await this.outbox.enqueue(patientId, entry);
    // Nudge even for a duplicate: the first attempt may have crashed between queueing and nudging.
    const instances = await this.routes.instancesOf(patientId);
    await Promise.all(instances.map((i) => this.routes.nudge(i, patientId)));
    return queued;
  }

  /** A gateway instance holds a socket of the patient now. */
  async connected(patientId: string): Promise<boolean> {
    return (await this.routes.instancesOf(patientId)).length > 0;
  }

  /** The message while it still waits in the outbox (not shown in any chat yet); null once seen. */
  async waiting(patientId: string, messageId: string): Promise<Omit<OutboxEntry, 'streamId'> | null> {
    return entryOf(await this.redis.eval(FIND, { keys: [outboxKey(patientId, this.prefix), outboxPositionsKey(patientId, this.prefix)], arguments: [messageId, '0'] }));
  }

  /** Takes a waiting message out of the outbox (it went out on another channel); false if already seen. */
  async withdraw(patientId: string, messageId: string): Promise<boolean> {
    return entryOf(await this.redis.eval(FIND, { keys: [outboxKey(patientId, this.prefix), outboxPositionsKey(patientId, this.prefix)], arguments: [messageId, '1'] })) !== null;
  }

  /** Puts a withdrawn message back (its other channel failed to take it), at the end of the queue. */
  async requeue(patientId: string, entry: Omit<OutboxEntry, 'streamId'>): Promise<void> {
    await this.redis.del(`${this.prefix}queued:${entry.messageId}`);
    await this.deliver(patientId, entry);
  }

  /** The pub/sub channel an instance listens on for nudges (the payload is the patient id). */
  nudgeChannel(instanceId: string): string {
    return gatewayChannel(instanceId, this.prefix);
  }

  /** Erasure: the patient's queued messages and recent chat history are deleted. */
  async forget(patientId: string): Promise<void> {
    await this.redis.del([outboxKey(patientId, this.prefix), outboxPositionsKey(patientId, this.prefix), historyKey(patientId, this.prefix)]);
  }
}
