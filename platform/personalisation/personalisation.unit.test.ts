import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { beta } from '../random/distributions.js';
import { seededRandom } from '../random/seeded.js';
import { credibleInterval, probabilityBest } from './beta.js';
import { allowedHours, chooseSendHour, emptyHourly, sendInstant, slotPosterior } from './send-time.js';
import { pickVariant, variantProbabilities, withoutRepeat } from './variants.js';
import { hourlyOf, planSendTime } from './send-plan.js';
import { localParts } from '../time/zones.js';

describe('Beta posteriors', () => {
  it('gives equal arms equal chances and a clearly better arm nearly all of them', () => {
    const eq = probabilityBest([{ a: 5, b: 5 }, { a: 5, b: 5 }]);
    assert.ok(Math.abs((eq[0] ?? 0) - 0.5) < 0.01);
    const clear = probabilityBest([{ a: 60, b: 40 }, { a: 40, b: 60 }]);
    assert.ok((clear[0] ?? 0) > 0.99, String(clear[0]));
  });

  it('matches the frequency with which Thompson draws pick each arm', () => {
    const params = [{ a: 8, b: 12 }, { a: 10, b: 10 }, { a: 3, b: 4 }];
    const exact = probabilityBest(params);
    const rand = seededRandom(7);
    const wins = [0, 0, 0];
    const n = 20_000;
    for (let i = 0; i < n; i += 1) {
      const draws = params.map((p) => beta(rand, p.a, p.b));
      wins[draws.indexOf(Math.max(...draws))]! += 1;
    }
    exact.forEach((p, k) => assert.ok(Math.abs(p - (wins[k] ?? 0) / n) < 0.015, `arm ${k}: ${p} vs ${(wins[k] ?? 0) / n}`));
  });

  it('has a 95 % credible interval around the mean that narrows with evidence', () => {
    const [lo, hi] = credibleInterval({ a: 31, b: 71 });
    assert.ok(lo > 0.21 && lo < 0.23 && hi > 0.38 && hi < 0.40, `${lo} ${hi}`);
    const [lo2, hi2] = credibleInterval({ a: 301, b: 701 });
    assert.ok(hi2 - lo2 < (hi - lo) / 2);
  });
});

describe('send-time optimisation', () => {
  it('uses only the dose window outside quiet hours', () => {
    assert.deepEqual(allowedHours({ firstHour: 6, lastHour: 23, quiet: { start: '22:00', end: '07:00' } }), [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
  });

  it('starts a new patient from the segment and moves to their own best hour', () => {
    const segment = emptyHourly();
    segment[19] = { sends: 1000, rewards: 600 };
    for (const h of [8, 9, 10, 12, 14]) segment[h] = { sends: 1000, rewards: 100 };
    const w = { firstHour: 7, lastHour: 21, quiet: null };
    const rand = seededRandom(3);
    const newPatient = emptyHourly();
    const early = Array.from({ length: 200 }, () => chooseSendHour(newPatient, segment, w, rand)?.hour);
    assert.ok(early.filter((h) => h !== undefined && h >= 18 && h <= 20).length > 100, 'a new patient gets the segment\'s evening');
    const own = emptyHourly();
    own[8] = { sends: 40, rewards: 36 };
    own[19] = { sends: 40, rewards: 2 };
    const later = Array.from({ length: 200 }, () => chooseSendHour(own, segment, w, rand)?.hour);
    assert.ok(later.filter((h) => h !== undefined && h >= 7 && h <= 9).length > 150, 'their own evidence wins');
    assert.ok(slotPosterior(own, segment, 8).a > slotPosterior(newPatient, segment, 8).a);
  });

  it('places the hour in the patient\'s time zone across daylight saving', () => {
    const at = sendInstant({ year: 2027, month: 3, day: 15 }, 9, 'America/New_York');
    assert.equal(localParts(at, 'America/New_York').hour, 9);
    assert.equal(new Date(at).toISOString(), '2027-03-15T13:00:00.000Z');
  });
});

describe('variant bandit', () => {
  it('never lets a variant fall under the exploration floor and logs the exact propensity', () => {
    const arms = [{ sends: 500, rewards: 300 }, { sends: 500, rewards: 100 }, { sends: 500, rewards: 90 }];
    const probs = variantProbabilities(arms, { explorationFloor: 0.15 });
    assert.ok(Math.abs(probs.reduce((s, p) => s + p, 0) - 1) < 1e-9);
    for (const p of probs) assert.ok(p >= 0.05 - 1e-12);
    const rand = seededRandom(11);
    const counts = [0, 0, 0];
    for (let i = 0; i < 10_000; i += 1) {
      const pick = pickVariant(arms, rand, { explorationFloor: 0.15 });
      assert.equal(pick.propensity, probs[pick.index]);
      counts[pick.index]! += 1;
    }
    assert.ok(Math.abs((counts[1] ?? 0) / 10_000 - (probs[1] ?? 0)) < 0.01);
  });
});

describe('planning a send from profile features', () => {
  it('reads per-channel prompts and answers, and returns an instant at the chosen local hour in the patient\'s zone', () => {
    const prompts = new Array<number>(24).fill(0);
    const answered = new Array<number>(24).fill(0);
    prompts[18] = 30; answered[18] = 27;
    prompts[9] = 30; answered[9] = 1;
    const sms = { prompts: new Array<number>(24).fill(0), answered: new Array<number>(24).fill(0) };
    sms.prompts[18] = 10; sms.answered[18] = 12;
    const hourly = hourlyOf([{ prompts, answered }, sms]);
    assert.deepEqual(hourly[18], { sends: 40, rewards: 37 }, 'channels summed; answers never exceed prompts');
    const rand = seededRandom(5);
    const plans = Array.from({ length: 100 }, () => planSendTime({
      patient: [{ prompts, answered }], segment: emptyHourly(), window: { firstHour: 8, lastHour: 20, quiet: { start: '21:00', end: '08:00' } },
      timeZone: 'Europe/Madrid', date: { year: 2027, month: 7, day: 1 }, rand,
    }));
    const at18 = plans.filter((p) => p?.hour === 18 || p?.hour === 17 || p?.hour === 19);
    // Unexplored hours still get Thompson's share of tries; the answered hour and its neighbours most.
    assert.ok(at18.length > 60, `${at18.length} of 100 near 18:00`);
    assert.ok(plans.filter((p) => p?.hour === 9).length < 5, 'the hour that is never answered is almost never chosen');
    for (const p of plans) assert.equal(localParts(p?.at ?? 0, 'Europe/Madrid').hour, p?.hour);
    assert.equal(planSendTime({ patient: [], segment: emptyHourly(), window: { firstHour: 22, lastHour: 23, quiet: { start: '21:00', end: '08:00' } }, timeZone: 'UTC', date: { year: 2027, month: 1, day: 1 }, rand }), null);
  });
});

describe('not repeating the last wording', () => {
  it('holds the last variant to its exploration share and keeps the distribution a distribution', () => {
    const base = [0.8, 0.1, 0.1];
    const fresh = withoutRepeat(base, 0, { explorationFloor: 0.15 });
    assert.ok(Math.abs(fresh.reduce((s, p) => s + p, 0) - 1) < 1e-12);
    assert.ok(Math.abs((fresh[0] ?? 0) - 0.05) < 1e-12);
    assert.ok(Math.abs((fresh[1] ?? 0) - (fresh[2] ?? 0)) < 1e-12, 'the others keep their ratio');
    assert.deepEqual(withoutRepeat(base, null), base);
    assert.deepEqual(withoutRepeat([1], 0), [1], 'a single wording has nothing else to say');
  });
});
