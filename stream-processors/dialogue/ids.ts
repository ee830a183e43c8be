import { derivedId } from '../../platform/ids.js';

/** A reply (or action) id derived from the message or signal it answers: a replay produces the same ids, which delivery drops. */
export function replyId(causeId: string, index: number): string {
  return derivedId(`${causeId}:reply:${index}`);
}
