import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultCatalog } from './catalog.js';
import { formatTranscript, parseAdvance, simulate } from './simulator.js';
import { keywordUnderstanding, mustCompile } from './test-support.js';

const WF = mustCompile(`workflow "s" version 1
languages en
on intent book_appointment
  ask n: "How many?" as number between 1 and 5
  say "Booked {n}."
  wait 1 hour
  say "An hour later."
end
`, defaultCatalog(['en']));
const understand = keywordUnderstanding({ book: 'book_appointment' });

describe('simulate', () => {
  test('walks patient turns, advances the clock through due timers and checks expectations', async () => {
    const t = await simulate(WF, { language: 'en', start: '2026-01-05T09:00:00Z', steps: [
      { patient: 'book please' }, { expect: { reply: 'How many?', ended: false } },
      { patient: '3' }, { expect: { reply: '/^Booked 3\\.$/', slot: { n: 3 } } },
      { advance: '59m' }, { expect: { noReply: true } },
      { advance: '1m' }, { expect: { reply: 'An hour later', ended: true } },
      { patient: 'hello' }, { expect: { handled: false } },
    ] }, { understand });
    assert.ok(t.passed, formatTranscript(t));
    assert.deepEqual(t.entries.filter((e) => e.kind === 'timer').map((e) => e.at), ['2026-01-05T10:00:00.000Z']);
  });
  test('a failed expectation fails the transcript and says why', async () => {
    const t = await simulate(WF, { language: 'en', start: '2026-01-05T09:00:00Z', steps: [
      { patient: 'book' }, { expect: { action: 'book_appointment' } },
    ] }, { understand });
    assert.equal(t.passed, false);
    assert.match(formatTranscript(t), /no action book_appointment \(got none\)\s+FAILED/);
  });
  test('parseAdvance reads compact durations and refuses the rest', () => {
    assert.equal(parseAdvance('1d'), 86_400_000);
    assert.equal(parseAdvance('2h30m'), 9_000_000);
    assert.throws(() => parseAdvance('soon'));
  });
});
