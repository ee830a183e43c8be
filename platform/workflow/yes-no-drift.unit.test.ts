import assert from 'node:assert/strict';
import { test } from 'node:test';
import { YES_NO_LEXICON } from '../lexicon/yes-no.js';
import { findYesNo } from '../nlu/entities.js';
import { tokenize } from '../nlu/text.js';
import { readAnswer } from './answers.js';
import type { WorkflowEvent } from './runtime-types.js';

type Message = Extract<WorkflowEvent, { kind: 'message' }>;

const nlu = (text: string): Message['entities'] => findYesNo(tokenize(text), text).map((e) => ({ type: e.type, value: e.value, text: e.text }));
const answer = (text: string, entities: Message['entities']): string | undefined => {
  const r = readAnswer({ type: 'yes_no' }, { kind: 'message', intent: 'fallback', text, language: 'en', entities }, []);
  return r.ok ? r.key : undefined;
};

// The regression: the NLU and the workflow reader kept two yes/no lists that drifted apart
// ("not yet" was an answer to one and not the other). Both now read the one lexicon.
test('yes/no drift: the NLU entity and the workflow answer reader agree on every lexicon entry', () => {
  const variants = (p: string): string[] => [p, p.toUpperCase(), `${p}!`, `${p}, thanks`, `  ${p} i already did`];
  let checked = 0;
  for (const e of YES_NO_LEXICON) {
    for (const text of variants(e.phrase)) {
      // A single letter followed by more words is no answer; both readers must say so.
      const expected = e.phrase.length === 1 && text.trim().split(/\W+/).filter(Boolean).length > 1 ? undefined : e.value;
      const fromNlu = nlu(text)[0]?.value;
      assert.equal(fromNlu, expected, `NLU on "${text}"`);
      assert.equal(answer(text, []), expected, `answer reader without entities on "${text}"`);
      assert.equal(answer(text, nlu(text)), expected, `answer reader with the NLU's entities on "${text}"`);
      checked += 1;
    }
  }
  assert.equal(checked, YES_NO_LEXICON.length * 5);
});

test('yes/no drift: neither reader takes a non-answer for one', () => {
  for (const text of ['not sure', 'maybe later', 'y luego', 'what?']) {
    assert.deepEqual(nlu(text), [], text);
    assert.equal(answer(text, []), undefined, text);
  }
});
