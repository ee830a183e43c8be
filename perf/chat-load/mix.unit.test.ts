import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MESSAGE_MIX, pickMessage, seededRandom } from './mix.js';

test('the weights add up to 100 and the mix holds no STOP keyword nor emergency wording', () => {
  assert.equal(MESSAGE_MIX.reduce((sum, e) => sum + e.weight, 0), 100);
  const texts = MESSAGE_MIX.flatMap((e) => e.texts);
  for (const t of texts) {
    assert.doesNotMatch(t, /^\W*(stop|stopall|unsubscribe|cancel|end|quit|parar|baja|alto)\W*$/i, t);
    assert.doesNotMatch(t, /chest|breath|suicid|die\b|overdos|too many|pecho|respirar|morir|sobredosis/i, t);
  }
});

test('a seeded mix replays the same sequence and follows the weights', () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const seqA = Array.from({ length: 50 }, () => pickMessage(a).text);
  const seqB = Array.from({ length: 50 }, () => pickMessage(b).text);
  assert.deepEqual(seqA, seqB);
  const random = seededRandom(7);
  const counts = new Map<string, number>();
  for (let i = 0; i < 20_000; i += 1) {
    const { category } = pickMessage(random);
    counts.set(category, (counts.get(category) ?? 0) + 1);
  }
  for (const e of MESSAGE_MIX) {
    const share = ((counts.get(e.category) ?? 0) / 20_000) * 100;
    assert.ok(Math.abs(share - e.weight) < 1.5, `${e.category}: ${share.toFixed(1)}% for a weight of ${e.weight}`);
  }
});
