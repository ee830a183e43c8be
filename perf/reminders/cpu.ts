/*
 * CPU time of the processes a reminder benchmark drives, read from /proc (Linux): this process, the
 * PostgreSQL backends of its pool (and the WAL writer), redis-server and the Kafka broker. CPU ms per
 * reminder moves far less with other people's load than a rate does. The stack processes are shared:
 * their figures include whatever else ran meanwhile, so they are upper bounds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { PgPool } from '../../platform/storage/postgres.js';
import type { RedisClient } from '../../platform/storage/redis.js';

const TICK_MS = 10; // CLK_TCK is 100 on Linux

function procCpuMs(pid: number): number {
  try {
    // Fields after the ")" of comm: state is field 3, utime 14, stime 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

function pidsWhere(match: (cmdline: string) => boolean): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (match(readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' '))) out.push(Number(d));
    } catch { /* gone meanwhile */ }
  }
  return out;
}

export interface CpuSnapshot { at: number; self: number; postgres: number; redis: number; kafka: number }
export type CpuSampler = () => CpuSnapshot;

/** Finds the processes once (the pool's backends: every connection it holds now, `connections` of them opened first). */
export async function cpuSampler(pool: PgPool, redis: RedisClient, connections: number): Promise<CpuSampler> {
  const clients = await Promise.all(Array.from({ length: connections }, () => pool.connect()));
  const backends: number[] = [];
  for (const c of clients) backends.push((await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0);
  for (const c of clients) c.release();
  const walWriter = pidsWhere((c) => c.startsWith('postgres: walwriter'));
  const info = await redis.info('server');
  const redisPid = Number(/process_id:(\d+)/.exec(info)?.[1] ?? 0);
  const kafka = pidsWhere((c) => c.includes('kafka.Kafka '));
  const sum = (pids: readonly number[]): number => pids.reduce((n, p) => n + procCpuMs(p), 0);
  return () => {
    const u = process.cpuUsage();
    return { at: Date.now(), self: (u.user + u.system) / 1000, postgres: sum([...backends, ...walWriter]), redis: procCpuMs(redisPid), kafka: sum(kafka) };
  };
}

/** CPU ms per item of each process between two snapshots. */
export function cpuPerItem(a: CpuSnapshot, b: CpuSnapshot, items: number): Record<string, number> {
  const per = (x: number): number => Math.round((x / Math.max(1, items)) * 1000) / 1000;
  return { benchProcess: per(b.self - a.self), postgresShared: per(b.postgres - a.postgres), redisShared: per(b.redis - a.redis), kafkaShared: per(b.kafka - a.kafka) };
}
