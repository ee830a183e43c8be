import { smsKeyword } from '../nlu/rules.js';
import { fold } from '../nlu/text.js';

/** What a whole-message carrier keyword asks for; STOP and START come from the NLU's one list. */
export type SmsKeyword = 'stop' | 'start' | 'help';

// HELP and INFO (CTIA), AYUDA in Spanish: the carrier rules want the sender's name and contact back.
const HELP = new Set(['help', 'info', 'ayuda']);

export function carrierKeyword(text: string): SmsKeyword | null {
  const bare = fold(text).replace(/[\s\p{P}\p{S}]+/gu, '');
  if (HELP.has(bare)) return 'help';
  const hit = smsKeyword(text);
  if (hit === null) return null;
  return hit.intent === 'opt_out' ? 'stop' : hit.intent === 'opt_in' ? 'start' : null;
}
