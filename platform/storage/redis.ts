import { createClient } from 'redis';

export type RedisClient = ReturnType<typeof createClient>;

export interface RedisOptions {
  url: string;
  /** Prefixes keys of this deployment (tests use it for isolation); never holds PHI. */
  name: string;
}

/** Connects a node-redis client; rediss:// URLs use TLS. Reconnects with capped backoff. */
export async function connectRedis(opts: RedisOptions): Promise<RedisClient> {
  const client = createClient({
    url: opts.url,
    name: opts.name,
    socket: { connectTimeout: 5000, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000) },
  });
  // Connection errors surface on commands (and in readiness); an 'error' without a listener would crash.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
