import type { RedisClient } from '../storage/redis.js';

export interface TokenBucket {
  /** Tokens the bucket holds at most (the burst). */
  capacity: number;
  /** Tokens added per second (the sustained rate). */
  refillPerSecond: number;
}

// Token bucket in one round trip: refill by elapsed time, take one token if there is one.
const TAKE = `
local cap = tonumber(ARGV[1]); local rate = tonumber(ARGV[2]); local now = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(b[1]) or cap; local ts = tonumber(b[2]) or now
tokens = math.min(cap, tokens + (math.max(0, now - ts) / 1000) * rate)
local ok = 0
if tokens >= 1 then tokens = tokens - 1; ok = 1 end
redis.call('HSET', KEYS[1], 't', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(cap / rate * 1000) + 1000)
return ok`;

/** Per-key token buckets shared by every instance (keys are pseudonymous ids or IP hashes). */
export class RateLimiter {
  constructor(private readonly redis: RedisClient, private readonly bucket: TokenBucket, private readonly now: () => number = Date.now, private readonly prefix = '') {}

  async take(key: string): Promise<boolean> {
    const res = await this.redis.eval(TAKE, { keys: [`${this.prefix}rl:${key}`], arguments: [String(this.bucket.capacity), String(this.bucket.refillPerSecond), String(this.now())] });
    return res === 1;
  }
}
