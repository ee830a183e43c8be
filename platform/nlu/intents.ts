export const INTENTS = [
  'greeting', 'thanks', 'help',
  'medication_taken', 'medication_skipped', 'snooze_reminder', 'refill_request', 'pharmacy_pickup',
  'book_appointment', 'cancel_appointment', 'reschedule_appointment', 'find_service',
  'side_effect', 'symptom_report', 'emergency', 'human_handoff',
  'opt_out', 'opt_in', 'identity_verification',
  // Stop a programme's (campaign's) messages only: decided by a rule (rules.ts), never by the classifier.
  'program_opt_out',
] as const;

export type IntentName = (typeof INTENTS)[number] | 'fallback';

/** The corpus and NLP.js call the out-of-scope class "None"; the rest of Careloop calls it 'fallback'. */
export const NONE = 'None';

export function isIntentName(name: string): name is IntentName {
  return name === 'fallback' || (INTENTS as readonly string[]).includes(name);
}
