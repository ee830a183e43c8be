import { INTENTS } from '../nlu/intents.js';

export type ValueType = 'number' | 'string' | 'boolean' | 'date' | 'time' | 'duration' | 'answer' | 'unknown';

/**
 * What a workflow may refer to, passed in by the host (organisation's languages, templates,
 * published sub-workflows). The checker knows nothing else about the product.
 */
export interface Catalog {
  intents: readonly string[];
  signals: readonly string[];
  actions: readonly string[];
  /** The organisation's languages; every text must exist in each. The first is the default. */
  languages: readonly string[];
  /** Org/shared templates by id: language → variants. */
  templates: Record<string, Record<string, string[]>>;
  profileFields: readonly string[];
  subworkflows: readonly string[];
  /** Context variables templates and expressions may use (org name, emergency number …). */
  variables?: readonly string[];
  /** Types of profile fields, for WF_TYPE_MISMATCH; a field left out is 'unknown' (never a mismatch). */
  profileTypes?: Record<string, ValueType>;
  /**
   * The closed set of values a profile field takes (risk levels; the organisation's current segment
   * names when the host knows them): comparing the field with another value is WF_BAD_VALUE.
   */
  profileValues?: Record<string, readonly string[]>;
}

/** Risk levels, usable as bare words: `if risk is high`. */
export const RISK_VALUES = ['low', 'medium', 'high', 'unknown'] as const;

export const DEFAULT_SIGNALS = [
  'refill_due', 'appointment_booked', 'appointment_reminder_due', 'reminder_due', 'discharge', 'lab_result_ready', 'dose_due',
  // Availability found for a booking request (attributes slot_1..slot_3): how slot choice reaches a workflow.
  'appointment_slots_offered',
  // The booking service's answers: a lost race, nothing free, the hospital's decision, a no-show, services found.
  'appointment_slot_taken', 'appointment_slots_unavailable', 'appointment_refused', 'appointment_cancelled', 'appointment_cancel_failed',
  'appointment_not_found', 'appointment_no_show', 'services_found', 'services_not_found',
  // The reminder engine's: before a booked appointment (appointment_id, starts_at, lead_minutes), a dispense ready at the pharmacy (medication_id).
  'appointment_due', 'pickup_due',
  // A campaign's programme starts (attributes campaign_id, purpose, workflow_id): only that workflow runs on it.
  'campaign_start',
] as const;

export const DEFAULT_ACTIONS = [
  'record_adherence', 'set_reminder', 'cancel_reminder', 'book_appointment', 'cancel_appointment', 'reschedule_appointment',
  'find_service', 'escalate', 'handoff', 'opt_out', 'notify_pharmacy', 'emit', 'record_consent', 'verify_identity',
] as const;

export const DEFAULT_PROFILE_TYPES: Record<string, ValueType> = {
  adherence_30d: 'number', preferred_time: 'time', first_visit: 'boolean', age_band: 'string', segment: 'string',
  verified: 'boolean', consent: 'boolean', discharged_at: 'date', next_appointment_at: 'date', last_dose_at: 'date',
  streak_days: 'number', timezone: 'string',
  // From the behavioural profile (profiling/): risk level and score, response rate, PDC, channel, peak hour.
  risk: 'string', risk_score: 'number', response_rate: 'number', pdc_7d: 'number', pdc_90d: 'number', preferred_channel: 'string', peak_hour: 'number',
};

/** Variables the host puts in WorkflowContext.variables for every organisation. */
export const DEFAULT_VARIABLES = ['org', 'emergency', 'crisis', 'poison_control', 'care_team', 'medications', 'pharmacy', 'patient_name'] as const;

/** The product's catalog for an organisation speaking `languages` (no org templates or sub-workflows yet). */
export function defaultCatalog(languages: readonly string[] = ['en', 'es']): Catalog {
  return {
    intents: [...INTENTS, 'fallback'],
    signals: DEFAULT_SIGNALS,
    actions: DEFAULT_ACTIONS,
    languages: [...languages],
    templates: {},
    profileFields: Object.keys(DEFAULT_PROFILE_TYPES),
    subworkflows: [],
    variables: DEFAULT_VARIABLES,
    profileTypes: { ...DEFAULT_PROFILE_TYPES },
    profileValues: { risk: RISK_VALUES },
  };
}
