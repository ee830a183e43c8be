import { RedisScript } from '../storage/redis-script.js';
import type { RedisClient } from '../storage/redis.js';
import type { DeliveryChannel } from './channel.js';

const CHANNELS: readonly DeliveryChannel[] = ['WEB', 'PUSH', 'SMS'];
/** Claims kept per patient: a replay comes back within the redelivery window (see outbox.ts DEDUPE_KEEP). */
export const CLAIMS_KEEP = 500;

export function channelClaimsKey(patientId: string, prefix = ''): string {
  return `${prefix}channel:${patientId}`;
}

// One sorted set per patient: member = message id, score = ms queued * 4 + channel index. Returns
// 1 when ARGV[2] (the channel index) holds the claim (first now, or before), else 0. Keeps the last
// ARGV[4] claims (trimmed only once over); the set expires ARGV[3] seconds after its last write.
const CLAIM = new RedisScript(`
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s then
  if tonumber(s) % 4 == tonumber(ARGV[2]) then return 1 end
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now * 4 + tonumber(ARGV[2]), ARGV[1])
if redis.call('ZCARD', KEYS[1]) > tonumber(ARGV[4]) then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[4]) + 1)) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`);

/**
 * The first channel a proactive message id is delivered on, remembered for the dedupe window: a
 * replayed record that the channel choice sends elsewhere (the patient connected or left in
 * between) is dropped by the other channel's worker, so one message never goes out on two. One
 * bounded structure per patient (not a key per message), one command per claim.
 */
export class ChannelClaims {
  constructor(private readonly redis: RedisClient, private readonly prefix = '', private readonly ttlSeconds = 6 * 3600) {}

  /** True when this channel may deliver the message: it claimed it first, or claimed it before. */
  async claim(patientId: string, messageId: string, channel: DeliveryChannel): Promise<boolean> {
    const res = await CLAIM.run(this.redis, [channelClaimsKey(patientId, this.prefix)],
      [messageId, String(CHANNELS.indexOf(channel)), String(Math.max(60, Math.round(this.ttlSeconds))), String(CLAIMS_KEEP)]);
    return Number(res) === 1;
  }
}
