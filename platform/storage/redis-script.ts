/*
 * A Lua script called by its SHA1 (EVALSHA): the script's text crosses the wire once per server,
 * not on every call; a server that lost it (restart, SCRIPT FLUSH) gets it again through EVAL.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from './redis.js';

export class RedisScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisClient, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await client.evalSha(this.sha, { keys, arguments: args });
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(this.source, { keys, arguments: args });
    }
  }
}
