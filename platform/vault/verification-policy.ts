import { CareloopError } from '../errors.js';

/** Failure counter of one attempt key (a chat session, an SMS number, a targeted phone). */
export interface AttemptState {
  failures: number;
  lockedUntil: Date | null;
}

export interface VerificationLimits {
  /** Failures in a row that lock the key. */
  maxFailures: number;
  lockoutMs: number;
  /** How long a one-time code stays valid. */
  codeTtlMs: number;
}

export const DEFAULT_LIMITS: VerificationLimits = Object.freeze({ maxFailures: 5, lockoutMs: 15 * 60_000, codeTtlMs: 10 * 60_000 });

export function compileLimits(overrides: Partial<VerificationLimits> = {}): VerificationLimits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new CareloopError('CONFIG_INVALID', `verification limit ${key} must be a positive integer`);
  }
  return Object.freeze(limits);
}

export const FRESH: AttemptState = Object.freeze({ failures: 0, lockedUntil: null });

/** Milliseconds until every given key is unlocked; 0 when none is locked now. */
export function lockRemainingMs(states: readonly AttemptState[], now: Date): number {
  let remaining = 0;
  for (const s of states) {
    if (s.lockedUntil !== null) remaining = Math.max(remaining, s.lockedUntil.getTime() - now.getTime());
  }
  return remaining;
}

/** A success clears the count; the failure that reaches the limit locks the key and restarts the count. */
export function afterAttempt(state: AttemptState, success: boolean, now: Date, limits: VerificationLimits): AttemptState {
  if (success) return FRESH;
  const failures = state.failures + 1;
  if (failures >= limits.maxFailures) return { failures: 0, lockedUntil: new Date(now.getTime() + limits.lockoutMs) };
  return { failures, lockedUntil: state.lockedUntil };
}

/** Attempts left before the first of these keys locks; 0 while one is locked. */
export function remainingAttempts(states: readonly AttemptState[], limits: VerificationLimits, now: Date): number {
  if (lockRemainingMs(states, now) > 0) return 0;
  return Math.max(0, limits.maxFailures - Math.max(0, ...states.map((s) => s.failures)));
}
