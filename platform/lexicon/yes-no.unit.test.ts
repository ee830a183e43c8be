import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { foldWords, openingYesNo, YES_NO_LEXICON } from './yes-no.js';

const read = (text: string): string | undefined => openingYesNo(foldWords(text))?.value;

describe('yes/no lexicon', () => {
  test('no phrase means both yes and no; both languages are present', () => {
    const seen = new Map<string, string>();
    for (const e of YES_NO_LEXICON) {
      const key = foldWords(e.phrase).join(' ');
      assert.notEqual(key, '', e.phrase);
      assert.equal(seen.get(key) ?? e.value, e.value, `"${e.phrase}" is both yes and no`);
      seen.set(key, e.value);
    }
    for (const language of ['en', 'es'] as const) {
      for (const value of ['yes', 'no'] as const) assert.ok(YES_NO_LEXICON.some((e) => e.language === language && e.value === value), `${language} ${value}`);
    }
  });

  test('the longest phrase at the start wins', () => {
    assert.equal(read('claro que no'), 'no');
    assert.equal(read('Claro que sí'), 'yes');
    assert.equal(read('of course not!'), 'no');
    assert.equal(read('Todavía no, luego'), 'no');
    assert.deepEqual(openingYesNo(foldWords('not yet, sorry')), { value: 'no', words: 2 });
  });

  test('a single letter answers only as the whole message', () => {
    assert.equal(read('y'), 'yes');
    assert.equal(read('N'), 'no');
    assert.equal(read('y luego'), undefined);
    assert.equal(read('n o'), undefined);
  });

  test('words that only look like answers are not answers', () => {
    for (const t of ['not sure', 'maybe', 'yesterday', 'nothing', 'ya veremos', '']) assert.equal(read(t), undefined, t);
  });
});
