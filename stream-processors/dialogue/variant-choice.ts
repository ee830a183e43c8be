/*
 * The variant bandit inside a turn, pure: each reply with several wordings is re-picked from the
 * bandit's distribution for (message, segment), with its propensity; the randomness is seeded by the
 * event id, so a replayed turn says the same words.
 */
import type { ArmStats } from '../../platform/personalisation/beta.js';
import { armsOf, type Observation, type PendingSend } from '../../platform/personalisation/rewards.js';
import { pickFrom, variantProbabilities, withoutRepeat, type VariantOptions } from '../../platform/personalisation/variants.js';
import { seededRandom } from '../../platform/random/seeded.js';
import { fnv1a } from '../../platform/workflow/render.js';
import type { Action, Outcome, Reply } from './types.js';

/** The bandit's state for this patient's segment, loaded before the turn. */
export interface VariantInputs {
  segment: string;
  /** Message key → stats by variant index (the organisation's, for this segment). */
  arms: ReadonlyMap<string, ArmStats[]>;
  /** Message key → the variant this patient heard last (held to its exploration share). */
  last?: ReadonlyMap<string, number>;
  options?: VariantOptions;
}

export function chooseVariants(outcomes: readonly Outcome[], v: VariantInputs | undefined, seed: string): Outcome[] {
  if (v === undefined) return [...outcomes];
  return outcomes.map((o, i) => {
    if (o.kind !== 'reply' || o.reply.choice === undefined) return o;
    const c = o.reply.choice;
    const probabilities = withoutRepeat(variantProbabilities(armsOf(v.arms, c.message, c.variants.length), v.options), v.last?.get(c.message) ?? null, v.options);
    const pick = pickFrom(probabilities, seededRandom(fnv1a(`${seed}:${i}`)));
    const reply: Reply = { ...o.reply, text: c.variants[pick.index] ?? o.reply.text, variantId: String(pick.index), propensity: pick.propensity };
    return { ...o, reply };
  });
}

/** The sends this turn makes that wait for a reward, by the outbound id each reply gets. */
export function pendingSends(replies: readonly Reply[], idOf: (index: number) => string, segment: string, at: number): PendingSend[] {
  return replies.flatMap((r, i) => (r.choice === undefined || r.propensity === undefined ? [] : [{
    sendId: idOf(i), message: r.choice.message, segment, variant: Number(r.variantId ?? 0), kind: r.choice.reward.kind, deadline: at + r.choice.reward.withinMs,
  }]));
}

/** What a turn observed that may reward earlier sends: the patient wrote, confirmed a dose, booked. */
export function observations(isMessage: boolean, actions: readonly Action[], at: number): Observation[] {
  const out: Observation[] = isMessage ? [{ kind: 'replied', at }] : [];
  for (const a of actions) {
    if (a.type === 'record_adherence' && a.attributes['taken'] === 'true') out.push({ kind: 'confirmed', at });
    if (a.type === 'book_appointment') out.push({ kind: 'booked', at });
  }
  return out;
}
