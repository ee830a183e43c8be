import type { RedisClient } from '../storage/redis.js';
import type { DeliveryChannel } from './channel.js';

/**
 * The first channel a proactive message id is delivered on, remembered for the dedupe window: a
 * replayed record that the channel choice sends elsewhere (the patient connected or left in
 * between) is dropped by the other channel's worker, so one message never goes out on two.
 */
export class ChannelClaims {
  constructor(private readonly redis: RedisClient, private readonly prefix = '', private readonly ttlSeconds = 6 * 3600) {}

  /** True when this channel may deliver the message: it claimed it first, or claimed it before. */
  async claim(messageId: string, channel: DeliveryChannel): Promise<boolean> {
    const key = `${this.prefix}channel:${messageId}`;
    if ((await this.redis.set(key, channel, { NX: true, EX: Math.max(60, Math.round(this.ttlSeconds)) })) === 'OK') return true;
    return (await this.redis.get(key)) === channel;
  }
}
