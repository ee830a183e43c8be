import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { resolve } from '../../platform/personalisation/rewards.js';
import { dosingInstruction, dosingQuestion } from '../../platform/safety/dosing.js';
import { emergencyModelPath, loadEmergencyDetector } from '../../platform/safety/model-file.js';
import { defaultCatalog } from '../../platform/workflow/catalog.js';
import { compileWorkflow } from '../../platform/workflow/compiler.js';
import { mustCompile } from '../../platform/workflow/test-support.js';
import { defaultWorkflow } from './default-workflow.js';
import type { Programs } from './programs.js';
import type { SafetyKit } from './safety-layer.js';
import { of, turn, type TurnResult } from './turn.js';
import type { DialogueContext, SignalEvent } from './types.js';
import { observations, pendingSends } from './variant-choice.js';

const ctx: DialogueContext = {
  organizationName: 'Clinic', emergencyNumber: '112', crisisNumber: '988', poisonControlNumber: '1', careTeamContact: '', fallbackText: {},
  languages: ['en'], timeZone: 'UTC', medications: [],
};
const SOURCE = `workflow "Nudge" version 1
languages en
on signal refill_due
  say "Your refill is ready." | "Good news: your refill is waiting." | "Time to pick up your refill." reward booked within 2 days
  say "Reply if you need help."
end
`;
const programs: Programs = { active: [{ workflowId: 'nudge', version: 1, compiled: mustCompile(SOURCE, defaultCatalog(['en'])), publishedAt: 0 }], pinned: new Map() };
let safety: SafetyKit;
before(async () => { safety = { emergency: await loadEmergencyDetector(emergencyModelPath()), dosingQuestion, dosingInstruction }; });

const T0 = Date.UTC(2026, 11, 1, 9);
const signal = (id: string): SignalEvent => ({ kind: 'signal', signalId: id, organizationId: 'org', patientId: 'p', type: 'refill_due', attributes: {}, language: 'en', occurredAt: T0 });
const run = (id: string, arms: Map<string, Array<{ sends: number; rewards: number }>>): TurnResult =>
  turn(signal(id), { conversation: null, optedOutOnRecord: false, patientActive: true, ctx, programs, builtIn: defaultWorkflow, safety, held: null, profile: {}, variants: { segment: 'all', arms } });

describe('message variants picked by the bandit', () => {
  test('given a say with three variants and a reward, then the reply names its bandit key, reward and propensity', () => {
    const r = run('s-1', new Map());
    const [first, second] = of(r.outcomes, 'reply').map((o) => o.reply);
    assert.match(first?.choice?.message ?? '', /^nudge\/~\w+\/en$/);
    assert.deepEqual(first?.choice?.reward, { kind: 'booked', withinMs: 2 * 86_400_000 });
    assert.ok(Math.abs((first?.propensity ?? 0) - 1 / 3) < 0.02, 'no evidence yet: about a third each');
    assert.equal(first?.text, first?.choice?.variants[Number(first?.variantId)]);
    assert.equal(second?.choice, undefined, 'a single wording is not a bandit choice');
    assert.equal(second?.propensity, undefined);
  });

  test('given the same signal replayed, then the same variant (the pick is seeded by the event id)', () => {
    const a = of(run('s-2', new Map()).outcomes, 'reply')[0]?.reply.variantId;
    const b = of(run('s-2', new Map()).outcomes, 'reply')[0]?.reply.variantId;
    assert.equal(a, b);
  });

  test('given evidence that one variant is booked far more often, then it is picked most, and the others keep the exploration floor', () => {
    const key = of(run('s-3', new Map()).outcomes, 'reply')[0]?.reply.choice?.message ?? '';
    const arms = new Map([[key, [{ sends: 400, rewards: 40 }, { sends: 400, rewards: 200 }, { sends: 400, rewards: 40 }]]]);
    const picks = Array.from({ length: 300 }, (_, i) => of(run(`s-x${i}`, arms).outcomes, 'reply')[0]?.reply);
    const second = picks.filter((p) => p?.variantId === '1').length;
    assert.ok(second > 240, `variant 1 picked ${second} of 300`);
    for (const p of picks) assert.ok((p?.propensity ?? 0) >= 0.1 / 3 - 1e-12);
    assert.ok(picks.some((p) => p?.variantId !== '1'), 'the floor still explores');
  });

  test('given the patient heard the best variant last time, then it is held to its exploration share', () => {
    const key = of(run('s-5', new Map()).outcomes, 'reply')[0]?.reply.choice?.message ?? '';
    const arms = new Map([[key, [{ sends: 400, rewards: 40 }, { sends: 400, rewards: 200 }, { sends: 400, rewards: 40 }]]]);
    const replies = Array.from({ length: 300 }, (_, i) => of(turn(signal(`s-y${i}`), {
      conversation: null, optedOutOnRecord: false, patientActive: true, ctx, programs, builtIn: defaultWorkflow, safety, held: null, profile: {}, variants: { segment: 'all', arms, last: new Map([[key, 1]]) },
    }).outcomes, 'reply')[0]?.reply);
    const repeats = replies.filter((r) => r?.variantId === '1');
    assert.ok(repeats.length < 30, `the last variant said again ${repeats.length} of 300 times`);
    for (const r of repeats) assert.ok(Math.abs((r?.propensity ?? 0) - 0.1 / 3) < 1e-9, 'its propensity is the floor share');
  });

  test('a booking within the window rewards the send; one after it does not, and the send expires', () => {
    const replies = of(run('s-4', new Map()).outcomes, 'reply').map((o) => o.reply);
    const pending = pendingSends(replies, (i) => `out-${i}`, 'all', T0);
    assert.equal(pending.length, 1);
    assert.equal(pending[0]?.sendId, 'out-0');
    const booked = observations(false, [{ type: 'book_appointment', attributes: {} }], T0 + 86_400_000);
    assert.deepEqual(resolve(pending, booked, T0 + 86_400_000).rewarded.map((p) => p.sendId), ['out-0']);
    const late = observations(false, [{ type: 'book_appointment', attributes: {} }], T0 + 3 * 86_400_000);
    const settled = resolve(pending, late, T0 + 3 * 86_400_000);
    assert.deepEqual([settled.rewarded.length, settled.expired.length], [0, 1]);
    assert.deepEqual(resolve(pending, observations(true, [], T0 + 1000), T0 + 1000).rewarded, [], 'a reply is not a booking');
  });
});

describe('the reward of a say, in the workflow language', () => {
  const src = (reward: string): string => `workflow "R" version 1\nlanguages en\non signal refill_due\n  say "a" | "b" ${reward}\nend\n`;
  const codes = (reward: string): string[] => { const r = compileWorkflow(src(reward), defaultCatalog(['en'])); return r.ok ? [] : r.problems.map((p) => p.code); };
  test('replied, confirmed and booked within a duration compile; the compiled step keeps it in milliseconds', () => {
    for (const kind of ['replied', 'confirmed', 'booked']) assert.deepEqual(codes(`reward ${kind} within 3 hours`), []);
    const r = compileWorkflow(src('reward confirmed within 90 minutes'), defaultCatalog(['en']));
    assert.ok(r.ok);
    const say = Object.values(r.workflow.steps).find((s) => s.op === 'say');
    assert.deepEqual(say?.op === 'say' ? say.reward : null, { kind: 'confirmed', withinMs: 90 * 60_000 });
  });
  test('an unknown reward or a duration of zero is refused at publish time', () => {
    assert.deepEqual(codes('reward clicked within 3 hours'), ['WF_SYNTAX']);
    assert.deepEqual(codes('reward replied within 0 hours'), ['WF_BAD_DURATION']);
  });
});
