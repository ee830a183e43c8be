import { createHash } from 'node:crypto';

/** A reply (or action) id derived from the message or signal it answers: a replay produces the same ids, which delivery drops. */
export function replyId(causeId: string, index: number): string {
  const h = createHash('sha256').update(`${causeId}:reply:${index}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
