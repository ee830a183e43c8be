import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIXED_09, PERSONALISED, VARIANT_COUNT } from './policies.js';
import { simulate, stream } from './simulate.js';
import { drawPopulation } from './traits.js';
import { DEFAULT_VARIANTS } from '../../platform/personalisation/variants.js';

// A small run of the simulator of perf/personalisation/run.ts, so CI sees the decision code still learning.
describe('personalisation simulator (small run)', () => {
  const population = drawPopulation(stream(42, 'population'), 1500);
  const base = simulate(population, FIXED_09, 42, 42);
  const personal = simulate(population, PERSONALISED, 42, 42);

  it('draws the same population from the same seed, and a different one from another', () => {
    assert.deepEqual(drawPopulation(stream(42, 'population'), 50), population.slice(0, 50));
    assert.notDeepEqual(drawPopulation(stream(43, 'population'), 50), population.slice(0, 50));
  });

  it('sends one reminder per joined patient-day under every policy', () => {
    const joined = population.reduce((s, p) => s + Math.max(0, 42 - p.observable.joinDay), 0);
    assert.equal(base.sends, joined);
    assert.equal(personal.sends, joined);
  });

  it('answers more often when send time and wording are learnt than at a fixed 09:00', () => {
    const lift = personal.answers / personal.sends / (base.answers / base.sends) - 1;
    assert.ok(lift > 0.1, `relative lift ${lift.toFixed(3)}`);
    const last = personal.weekly.day0.answers.length - 1;
    const rate = (k: number): number => (personal.weekly.day0.answers[k] ?? 0) / (personal.weekly.day0.sends[k] ?? 1);
    assert.ok(rate(last) > rate(0), 'the last week answers better than the first');
  });

  it('keeps every logged propensity at or above the exploration floor', () => {
    assert.ok(personal.minPropensity >= DEFAULT_VARIANTS.explorationFloor / VARIANT_COUNT - 1e-12);
    assert.equal(base.minPropensity, 1 / VARIANT_COUNT);
  });
});
