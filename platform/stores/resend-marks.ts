import { RedisScript } from '../storage/redis-script.js';
import type { RedisClient } from '../storage/redis.js';

/** Client message ids remembered per patient at most: resends come within seconds of a reconnect. */
export const RESEND_KEEP = 500;

export function resendMarksKey(patientId: string, prefix = ''): string {
  return `${prefix}seen:${patientId}`;
}

// One sorted set per patient: member = the client's message id, score = ms * 2 + (1 when stored).
// BEGIN returns 'new' (marked pending now), 'pending' or 'done'; keeps the last ARGV[3] ids, the set expires ARGV[2] s after its last write.
const BEGIN = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s then
  s = tonumber(s)
  if s % 2 == 1 then return 'done' end
  -- a pending mark older than the window was left by a crash: the message may go again
  if (s - s % 2) / 2 > now - tonumber(ARGV[2]) * 1000 then return 'pending' end
end
redis.call('ZADD', KEYS[1], now * 2, ARGV[1])
if redis.call('ZCARD', KEYS[1]) > tonumber(ARGV[3]) then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1)) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 'new'`);

const DONE = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now * 2 + 1, ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1`);

/**
 * The gateway's resend dedupe: a client message id is 'pending' while its record is being stored
 * and 'done' once Kafka has it, for the resend window. One bounded sorted set per patient instead
 * of a key per message.
 */
export class ResendMarks {
  constructor(private readonly redis: RedisClient, private readonly prefix: string, private readonly windowSeconds: number) {}

  private args(id: string): string[] { return [id, String(Math.max(1, Math.round(this.windowSeconds))), String(RESEND_KEEP)]; }

  /** 'new' when this call marked the id pending; else what an earlier call left. */
  async begin(patientId: string, id: string): Promise<'new' | 'pending' | 'done'> {
    return String(await BEGIN.run(this.redis, [resendMarksKey(patientId, this.prefix)], this.args(id))) as 'new' | 'pending' | 'done';
  }

  async done(patientId: string, id: string): Promise<void> {
    await DONE.run(this.redis, [resendMarksKey(patientId, this.prefix)], this.args(id));
  }

  async forget(patientId: string, id: string): Promise<void> {
    await this.redis.zRem(resendMarksKey(patientId, this.prefix), id);
  }
}
