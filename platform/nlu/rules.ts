import { fold } from './text.js';

/** A decision taken by a deterministic rule; it overrides the classifier. */
export interface RuleHit {
  intent: 'opt_out' | 'opt_in' | 'emergency';
  /** The language the keyword belongs to, when it tells (PARAR is Spanish, STOP is not). */
  language: 'en' | 'es' | null;
}

// Carrier-style SMS keywords (CTIA/Twilio); they count only as the whole message.
const SMS_KEYWORDS: ReadonlyMap<string, RuleHit> = new Map<string, RuleHit>([
  ...['stop', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit'].map((k): [string, RuleHit] => [k, { intent: 'opt_out', language: null }]),
  ...['parar', 'baja', 'alto'].map((k): [string, RuleHit] => [k, { intent: 'opt_out', language: 'es' }]),
  ...['start', 'unstop'].map((k): [string, RuleHit] => [k, { intent: 'opt_in', language: null }]),
  ['alta', { intent: 'opt_in', language: 'es' }],
]);

/** STOP, stop., "  Baja!! " → opt_out; anything longer than the keyword is left to the classifier. */
export function smsKeyword(text: string): RuleHit | null {
  const bare = fold(text).replace(/[\s\p{P}\p{S}]+/gu, '');
  return SMS_KEYWORDS.get(bare) ?? null;
}

// Matched against fold(text) with apostrophes removed ("can't" → "cant"). Safety beats precision:
// a false alarm costs a human a look, a miss can cost a life.
const EMERGENCY_EN: readonly RegExp[] = [
  /\bchest\b.{0,25}\b(pain|pains|hurts?|hurting|pressure|tight|tightness|crushing)\b/,
  /\b(pain|pains|pressure|tightness|crushing)\b.{0,15}\bchest\b/,
  /\b(cant|cannot|can not|unable to|couldnt|struggling to|hard to) (breathe|breath|catch my breath)\b/,
  /\b(not|isnt|stopped) breathing\b/,
  /\bsuicid/,
  /\bkill(ing)? my ?self\b/,
  /\b(end|ending|take|taking) (my|his|her) (own )?life\b/,
  /\b(want|wanna|going) (to )?die\b/,
  /\bdont want to (live|be alive)\b/,
  /\boverdos/,
  /\b(took|taken|take|swallowed|ate) (way )?(too many|too much|a whole bottle|the whole bottle|an entire bottle)\b/,
  /\bhaving a heart attack\b/,
];

const EMERGENCY_ES: readonly RegExp[] = [
  /\bdolor(es)?\b.{0,20}\bpecho\b/,
  /\b(me duele|duele|presion|opresion|apretado|aprieta)\b.{0,15}\bpecho\b/,
  /\bpecho\b.{0,15}\b(apretado|me duele|duele|presion)\b/,
  /\bno (puedo|puede|podemos) respirar\b/,
  /\bno respira\b/,
  /\bme (estoy )?ahog(o|ando)\b/,
  /\bsuicid/,
  /\b(me )?quiero (morir|matar)(me)?\b/,
  /\bmatarme\b/,
  /\b(quitarme la|quitar mi|terminar con mi|acabar con mi) (propia )?vida\b/,
  /\bacabar con todo\b/,
  /\bno quiero (vivir|seguir viviendo)\b/,
  /\bsobredosis\b/,
  /\b(me )?(tome|trague|tomo) (demasiad[ao]s|el frasco|todo el frasco|un frasco entero)\b/,
  /\b(dando|da|tengo|teniendo) un infarto\b/,
];

/** True when the message, anywhere in it and in either language, describes a life-threatening situation. */
export function isEmergency(text: string): boolean {
  const t = fold(text).replace(/'/g, '').replace(/\s+/g, ' ');
  return EMERGENCY_EN.some((r) => r.test(t)) || EMERGENCY_ES.some((r) => r.test(t));
}

export function applyRules(text: string): RuleHit | null {
  if (isEmergency(text)) return { intent: 'emergency', language: null };
  return smsKeyword(text);
}
