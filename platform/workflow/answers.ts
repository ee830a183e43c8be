import { foldWords, openingYesNo } from '../lexicon/yes-no.js';
import type { CAnswer } from './compiled.js';
import type { WorkflowEvent } from './runtime-types.js';

type Message = Extract<WorkflowEvent, { kind: 'message' }>;
export type ReadAnswer = { ok: true; key: string; value: string | number } | { ok: false };

export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^\p{L}\p{N}:]+/gu, ' ').trim();
}

const ORDINALS: Record<string, number> = {
  first: 1, second: 2, third: 3, fourth: 4, primero: 1, primera: 1, segundo: 2, segunda: 2, tercero: 3, tercera: 3, cuarto: 4, cuarta: 4,
};

function entity(msg: Message, type: string): string | undefined {
  return msg.entities.find((e) => e.type === type)?.value;
}

// The NLU's yes_no entity first; without one (a message the NLU never saw), the same lexicon and rule.
function yesNo(msg: Message): ReadAnswer {
  const v = entity(msg, 'yes_no') ?? openingYesNo(foldWords(msg.text))?.value;
  return v === 'yes' || v === 'no' ? { ok: true, key: v, value: v } : { ok: false };
}

function number(msg: Message, min: number | null, max: number | null): ReadAnswer {
  const raw = entity(msg, 'number') ?? /-?\d+(?:[.,]\d+)?/.exec(msg.text)?.[0]?.replace(',', '.');
  const n = raw === undefined ? NaN : Number(raw);
  if (!Number.isFinite(n) || (min !== null && n < min) || (max !== null && n > max)) return { ok: false };
  return { ok: true, key: 'answer', value: n };
}

function choice(msg: Message, options: ReadonlyArray<{ key: string; labels: string[] }>): ReadAnswer {
  const text = fold(msg.text);
  const words = text.split(' ');
  // Ordinals first: "the second one" also carries the number entity 1 ("one").
  const ordinal = words.map((w) => ORDINALS[w]).find((n) => n !== undefined);
  const index = ordinal ?? Number(entity(msg, 'number') ?? NaN);
  const byNumber = Number.isInteger(index) ? options[index - 1] : undefined;
  if (byNumber !== undefined) return { ok: true, key: byNumber.key, value: byNumber.key };
  // The longest label the message contains wins: "evening" over "even" if both were options.
  let best: { key: string; length: number } | null = null;
  for (const o of options) {
    for (const label of [...o.labels.map(fold), fold(o.key.replace(/_/g, ' '))]) {
      const hit = label !== '' && (text === label || ` ${text} `.includes(` ${label} `));
      if (hit && (best === null || label.length > best.length)) best = { key: o.key, length: label.length };
    }
  }
  return best === null ? { ok: false } : { ok: true, key: best.key, value: best.key };
}

/**
 * Reads a message as the answer to a question: entities from the NLU first (yes_no, number,
 * datetime), then the text itself. `labels` are the choice options as the patient saw them.
 */
export function readAnswer(answer: CAnswer, msg: Message, labels: ReadonlyArray<{ key: string; labels: string[] }>): ReadAnswer {
  switch (answer.type) {
    case 'yes_no': return yesNo(msg);
    case 'number': return number(msg, answer.min, answer.max);
    case 'date': {
      const v = entity(msg, 'datetime');
      return v !== undefined && Number.isFinite(Date.parse(v)) ? { ok: true, key: 'answer', value: v } : { ok: false };
    }
    case 'text': return msg.text.trim() === '' ? { ok: false } : { ok: true, key: 'answer', value: msg.text.trim() };
    case 'choice': return choice(msg, labels);
  }
}
