/*
 * What a patient's behavioural profile holds: the contract between profiling/ (its only writer) and
 * its readers (dialogue, reminder engine, delivery, personalisation). Plain data, no I/O.
 * Counts and bands only: never a name, an identifier, a date of birth, a medication or chat text.
 * Hours and weekdays are in the patient's local time (their zone, else the organisation's, else UTC).
 */

export const PROFILE_VERSION = 1;

export const PROFILE_CHANNELS = ['WEB', 'SMS'] as const;
export type ProfileChannel = (typeof PROFILE_CHANNELS)[number];

/** The topics whose records change a profile, in the encoding's order. */
export const PROFILE_TOPICS = ['chat.intents', 'chat.outbound', 'delivery.status', 'patient.signals', 'patient.actions'] as const;
export type ProfileTopic = (typeof PROFILE_TOPICS)[number];

export const AGE_BANDS = ['unknown', '0-17', '18-29', '30-44', '45-64', '65-74', '75+'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

export const SEXES = ['unknown', 'female', 'male', 'other'] as const;
export type Sex = (typeof SEXES)[number];

export const PROFILE_LANGUAGES = ['unknown', 'en', 'es'] as const;
export type ProfileLanguage = (typeof PROFILE_LANGUAGES)[number];

export const RISK_LEVELS = ['unknown', 'low', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** A proactive message counts as answered when the patient writes within this window after delivery. */
export const RESPONSE_WINDOW_MS = 4 * 3_600_000;
/** Days of dose history kept (PDC 7/30/90 and streaks are read from it). */
export const DOSE_DAYS = 90;
/** Weeks of inbound-message counts kept for the engagement trend. */
export const ENGAGEMENT_WEEKS = 12;

/** Per channel, per local hour 0..23 (arrays of length 24). */
export interface ChannelHours {
  /** Messages the patient wrote. */
  active: number[];
  /** Proactive messages delivered. */
  prompts: number[];
  /** Of those, answered within RESPONSE_WINDOW_MS. */
  answered: number[];
  /** Sum of answer latencies in minutes (mean latency = latencyMinutes / answered). */
  latencyMinutes: number[];
}

export interface Demographics {
  ageBand: AgeBand;
  sex: Sex;
  /** First three digits of the postal code, or '' when unknown or in a small-population area. */
  zip3: string;
}

export interface DoseHistory {
  /** Day number (days since 1970-01-01, local) of the last bit in the bitmaps; 0 = no dose yet. */
  lastDay: number;
  /** Bit i (i = 0 is lastDay, i = 1 the day before…) set when a dose was due or answered that day. */
  dueDays: Uint8Array;
  /** Bit i set when a dose was reported taken that day. */
  takenDays: Uint8Array;
  /** Bit i set when a dose was reported missed that day (a covered day is taken and not missed). */
  missedDays: Uint8Array;
  /** Doses reported missed, by local weekday 0 = Sunday … 6 = Saturday. */
  missedByWeekday: number[];
}

/** The learned scores, written by the daily segment and risk job (profiling/). */
export interface Scores {
  /** Index into the organisation's segment table (0 = not assigned yet). */
  segment: number;
  /** Probability of non-adherence over the next 30 days, 0..1 (quantised to 1/255). */
  risk: number;
  riskLevel: RiskLevel;
  /** Day number the scores were computed on (0 = never). */
  scoredDay: number;
}

export interface ProfileFeatures {
  version: number;
  /** Latest event time applied (ms); event time, not wall clock, so a replay gives the same profile. */
  updatedAt: number;
  /** Events applied (for the replay check and as a confidence weight). */
  events: number;
  channels: Record<ProfileChannel, ChannelHours>;
  /** Messages per language, the preferred language is the argmax. */
  languages: Record<Exclude<ProfileLanguage, 'unknown'>, number>;
  dose: DoseHistory;
  /** Inbound messages per week, index 0 = the week of updatedAt. */
  weeklyMessages: number[];
  /** Week number (weeks since 1970-01-01) of weeklyMessages[0]. */
  lastWeek: number;
  demographics: Demographics;
  /** Whether the demographic bands were read from the vault (read once). */
  demographicsRead: boolean;
  scores: Scores;
  /** Recent proactive deliveries and inbound times (minutes since epoch), to pair answers in either arrival order. */
  recentPrompts: Array<{ at: number; channel: ProfileChannel; answered: boolean }>;
  recentInbound: Array<{ at: number; channel: ProfileChannel }>;
  /**
   * The last Kafka offset applied per topic of the patient's partition: a redelivered record (offset at
   * or below) changes nothing, and a replay from the beginning rebuilds the same profile.
   */
  offsets: Partial<Record<ProfileTopic, number>>;
  /** The newest event ids applied (event minute, 32-bit id hash): a duplicate published twice changes nothing. */
  seen: Array<{ at: number; hash: number }>;
}

/** Derived, read-only view that workflows and other services use; computed from ProfileFeatures. */
export interface ProfileSummary {
  segment: string;
  risk: RiskLevel;
  riskScore: number;
  preferredLanguage: ProfileLanguage;
  preferredChannel: ProfileChannel | 'unknown';
  /** Proportion of due days fully taken over the last 7 / 30 / 90 days (null when no dose was due). */
  pdc7: number | null;
  pdc30: number | null;
  pdc90: number | null;
  /** Consecutive covered days ending on the last dose day (or the day before, if that day is still open). */
  currentStreak: number;
  /** Longest run of covered days in the 90-day window. */
  longestStreak: number;
  /** Doses reported missed, by local weekday 0 = Sunday … 6 = Saturday. */
  missedByWeekday: number[];
  /** Answered / prompts per local hour over both channels (null where never prompted). */
  responseByHour: Array<number | null>;
  /** Mean minutes from delivery to answer (null when never answered). */
  meanLatencyMinutes: number | null;
  /** Answered / prompts over all hours and channels (null when never prompted). */
  responseRate: number | null;
  /** Local hour with the most activity, or null. */
  peakHour: number | null;
  /** Slope of weekly messages over the last 4 weeks vs the 4 before, messages/week. */
  engagementTrend: number;
  ageBand: AgeBand;
  sex: Sex;
}

function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}

function emptyHours(): ChannelHours {
  return { active: zeros(24), prompts: zeros(24), answered: zeros(24), latencyMinutes: zeros(24) };
}

/** The profile of a patient nobody has seen yet. */
export function emptyProfile(): ProfileFeatures {
  const bytes = Math.ceil(DOSE_DAYS / 8);
  return {
    version: PROFILE_VERSION,
    updatedAt: 0,
    events: 0,
    channels: { WEB: emptyHours(), SMS: emptyHours() },
    languages: { en: 0, es: 0 },
    dose: { lastDay: 0, dueDays: new Uint8Array(bytes), takenDays: new Uint8Array(bytes), missedDays: new Uint8Array(bytes), missedByWeekday: zeros(7) },
    weeklyMessages: zeros(ENGAGEMENT_WEEKS),
    lastWeek: 0,
    demographics: { ageBand: 'unknown', sex: 'unknown', zip3: '' },
    demographicsRead: false,
    scores: { segment: 0, risk: 0, riskLevel: 'unknown', scoredDay: 0 },
    recentPrompts: [],
    recentInbound: [],
    offsets: {},
    seen: [],
  };
}
