import type { EmergencyDetector, EmergencyFinding } from '../safety/emergency.js';
import { fold } from './text.js';

/** A decision taken by a deterministic rule; it overrides the classifier. */
export interface RuleHit {
  intent: 'opt_out' | 'opt_in' | 'emergency' | 'program_opt_out';
  /** The language the keyword belongs to, when it tells (PARAR is Spanish, STOP is not). */
  language: 'en' | 'es' | null;
  /** Set when the intent is 'emergency': what the detector found. */
  emergency?: EmergencyFinding;
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

// "Stop the program messages", "no quiero mensajes del programa": a stop word and a programme word.
const PROGRAM_WORD = /\b(program|programs|programme|programmes|campaign|campaigns|programa|programas|campana|campanas)\b/;
const PROGRAM_STOP_EN = /\b(stop|unsubscribe|cancel|quit|end|leave|opt out|no more|don ?t want|do not want|don ?t send|do not send)\b/;
const PROGRAM_STOP_ES = /\b(no quiero|no me (mande|manden|envie|envien)|parar|pare|paren|dejar de|deje de|dejen de|basta|cancelar|salir|darme de baja|no mas)\b/;

/** A request to stop the programme's messages (not all messages): English or Spanish. */
export function programOptOut(text: string): RuleHit | null {
  const t = fold(text).replace(/[’']/g, ' ').replace(/[^a-z0-9 ]+/g, ' ').replace(/\s+/g, ' ');
  if (!PROGRAM_WORD.test(t)) return null;
  if (PROGRAM_STOP_ES.test(t)) return { intent: 'program_opt_out', language: 'es' };
  if (PROGRAM_STOP_EN.test(t)) return { intent: 'program_opt_out', language: null };
  return null;
}

/**
 * The safety rules in order: an emergency (the detector of platform/safety, the one place that
 * decides emergencies), then a request to stop a programme's messages, then the SMS keywords.
 */
export function applyRules(text: string, detector: EmergencyDetector): RuleHit | null {
  const finding = detector.assess(text);
  if (finding !== null) return { intent: 'emergency', language: null, emergency: finding };
  return programOptOut(text) ?? smsKeyword(text);
}
