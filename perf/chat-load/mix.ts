/**
 * The message mix of the chat load test: what patients of a medication-reminder clinic actually
 * send. No emergency wording and no STOP-style keyword: the first pages a human, the second silences
 * the patient for the rest of the run. perf/k6/chat.js carries the same lists; change both together.
 */
export interface MixEntry {
  /** The intent the texts are meant to hit; a label for the report, not something the server echoes. */
  category: string;
  /** Share of the traffic, in percent; the entries add up to 100. */
  weight: number;
  texts: readonly string[];
}

export const MESSAGE_MIX: readonly MixEntry[] = [
  {
    category: 'medication_taken', weight: 35, texts: [
      'I took my pills this morning', 'took my metformin', 'done, took it', 'yes I took my medication',
      'just had my blood pressure pill', 'took them with breakfast', 'all taken for today 👍',
      'ya me tomé la pastilla', 'ya tomé mi medicina', 'sí, ya me la tomé',
    ],
  },
  {
    category: 'greeting_thanks', weight: 15, texts: [
      'hi', 'hello', 'good morning', 'hey there', 'thanks', 'thank you so much', 'ok thanks', 'hola', 'gracias',
    ],
  },
  {
    category: 'help', weight: 10, texts: [
      'help', 'what can you do?', 'how does this work', 'I need help with my reminders', 'ayuda por favor',
    ],
  },
  {
    category: 'skipped_snooze', weight: 10, texts: [
      'I forgot my pill yesterday', 'skipped my dose today', 'remind me in an hour', 'snooze',
      'not yet, later', 'recuérdamelo más tarde',
    ],
  },
  {
    category: 'refill_appointment', weight: 10, texts: [
      'I need a refill', 'running low on my metformin', 'can I book an appointment?',
      'I need to see the doctor next week', 'can I move my appointment to Friday', 'necesito una cita',
    ],
  },
  {
    category: 'symptom', weight: 5, texts: [
      'I have a mild headache', 'feeling a bit dizzy after the new pills', 'my stomach is upset today',
      'I feel more tired than usual',
    ],
  },
  {
    category: 'spanish_misc', weight: 5, texts: [
      'buenos días', '¿a qué hora me toca la pastilla?', 'necesito más pastillas', 'me olvidé la dosis de anoche',
      'muchas gracias por el recordatorio',
    ],
  },
  {
    category: 'other', weight: 10, texts: [
      'where is the nearest pharmacy?', 'is the clinic open on saturday', 'what time is my next reminder',
      'ok', 'sounds good', 'can you tell me about my medication', 'I am travelling next week',
    ],
  },
];

export interface PickedMessage { category: string; text: string }

/** Picks one message; `random` returns a number in [0, 1), so a seeded generator replays a run. */
export function pickMessage(random: () => number, mix: readonly MixEntry[] = MESSAGE_MIX): PickedMessage {
  const total = mix.reduce((sum, e) => sum + e.weight, 0);
  let r = random() * total;
  let entry = mix[mix.length - 1];
  for (const e of mix) {
    if (r < e.weight) { entry = e; break; }
    r -= e.weight;
  }
  if (entry === undefined || entry.texts.length === 0) throw new Error('the message mix is empty');
  const text = entry.texts[Math.min(entry.texts.length - 1, Math.floor(random() * entry.texts.length))] ?? '';
  return { category: entry.category, text };
}

export { seededRandom } from '../../platform/random/seeded.js';
