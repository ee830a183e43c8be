import type { Sealed } from '../crypto/envelope.js';
import type { RedisClient } from '../storage/redis.js';

/** One line of a conversation as the patient saw it; kept sealed (see ChatHistory). */
export interface HistoryEntry {
  id: string;
  from: 'patient' | 'assistant';
  text: string;
  quickReplies: string[];
  /** ms since the epoch */
  at: number;
}

const DEFAULT_LIMIT = 50;
const DEFAULT_TTL_SECONDS = 30 * 86_400;

export function historyKey(patientId: string, prefix = ''): string {
  return `${prefix}history:${patientId}`;
}

function encode(s: Sealed): string {
  return JSON.stringify({ k: s.keyId, n: s.nonce.toString('base64'), c: s.ciphertext.toString('base64') });
}

function decode(text: string): Sealed | null {
  try {
    const v = JSON.parse(text) as { k?: unknown; n?: unknown; c?: unknown };
    if (typeof v.k !== 'string' || typeof v.n !== 'string' || typeof v.c !== 'string') return null;
    return { keyId: v.k, nonce: Buffer.from(v.n, 'base64'), ciphertext: Buffer.from(v.c, 'base64') };
  } catch {
    return null;
  }
}

/**
 * The patient's recent conversation, so a chat reopened shows what was said: a bounded Redis list
 * per pseudonymous patient (the last `limit` lines, expiring after `ttlSeconds` without activity).
 * Lines arrive sealed with the organisation's key (bound to the patient) and stay sealed at rest;
 * erasing the patient deletes the key (historyKey).
 */
export class ChatHistory {
  constructor(private readonly redis: RedisClient, private readonly prefix = '', private readonly limit = DEFAULT_LIMIT, private readonly ttlSeconds = DEFAULT_TTL_SECONDS) {}

  async append(patientId: string, line: Sealed): Promise<void> {
    const key = historyKey(patientId, this.prefix);
    await this.redis.multi().rPush(key, encode(line)).lTrim(key, -this.limit, -1).expire(key, this.ttlSeconds).exec();
  }

  /** The sealed lines, oldest first; a line that cannot be read is skipped. */
  async recent(patientId: string): Promise<Sealed[]> {
    const rows = await this.redis.lRange(historyKey(patientId, this.prefix), 0, -1);
    return rows.map(decode).filter((s): s is Sealed => s !== null);
  }

  async forget(patientId: string): Promise<void> {
    await this.redis.del(historyKey(patientId, this.prefix));
  }
}
