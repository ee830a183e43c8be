/*
 * Variant bandit bookkeeping, pure: which message a variant belongs to, the sends waiting for their
 * reward, and which of them an observation (a reply, a dose confirmed, a booking) rewards.
 */
import type { ArmStats } from './beta.js';

export type RewardKind = 'replied' | 'confirmed' | 'booked';
export interface RewardSpec { kind: RewardKind; withinMs: number }

/** A `say` with variants and no `reward` counts a reply within four hours. */
export const DEFAULT_REWARD: RewardSpec = Object.freeze({ kind: 'replied', withinMs: 4 * 3_600_000 });

/** The bandit's message key: workflow, text id and language (a variant's index means one wording). */
export function messageKey(workflowId: string, textId: string, language: string): string {
  return `${workflowId}/${textId}/${language}`;
}

/** One variant sent and not yet rewarded or expired; no text, only ids. */
export interface PendingSend {
  /** The outbound message id (a replay records the same send once). */
  sendId: string;
  message: string;
  segment: string;
  variant: number;
  kind: RewardKind;
  deadline: number;
}

export interface Observation { kind: RewardKind; at: number }

export interface Resolution {
  /** Sends whose reward this observation is. */
  rewarded: PendingSend[];
  /** Sends whose window closed unrewarded: dropped (their send was counted when made). */
  expired: PendingSend[];
}

/** Which pending sends the observations reward (each at most once) and which have expired by `now`. */
export function resolve(pending: readonly PendingSend[], observations: readonly Observation[], now: number): Resolution {
  const rewarded: PendingSend[] = [];
  const expired: PendingSend[] = [];
  for (const p of pending) {
    if (observations.some((o) => o.kind === p.kind && o.at <= p.deadline)) rewarded.push(p);
    else if (p.deadline < now) expired.push(p);
  }
  return { rewarded, expired };
}

/** Arm stats of a message from its stored counters, `variants` long (absent counters are zero). */
export function armsOf(counters: ReadonlyMap<string, ArmStats[]>, message: string, variants: number): ArmStats[] {
  const stored = counters.get(message) ?? [];
  return Array.from({ length: variants }, (_, i) => stored[i] ?? { sends: 0, rewards: 0 });
}
