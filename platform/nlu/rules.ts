import type { EmergencyDetector, EmergencyFinding } from '../safety/emergency.js';
import { fold } from './text.js';

/** A decision taken by a deterministic rule; it overrides the classifier. */
export interface RuleHit {
  intent: 'opt_out' | 'opt_in' | 'emergency';
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

/**
 * The safety rules in order: an emergency (the detector of platform/safety, the one place that
 * decides emergencies), then the SMS keywords.
 */
export function applyRules(text: string, detector: EmergencyDetector): RuleHit | null {
  const finding = detector.assess(text);
  if (finding !== null) return { intent: 'emergency', language: null, emergency: finding };
  return smsKeyword(text);
}
