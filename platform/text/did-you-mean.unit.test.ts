import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest, didYouMean, editDistance } from './did-you-mean.js';

test('edit distance counts inserts, deletes, substitutions and swapped neighbours', () => {
  assert.equal(editDistance('reply', 'reply'), 0);
  assert.equal(editDistance('rply', 'reply'), 1);
  assert.equal(editDistance('rpely', 'reply'), 1);
  assert.equal(editDistance('kafka', 'redis'), 5);
});

test('a near candidate is suggested, a far one is not', () => {
  assert.equal(closest('stak', ['stack', 'seed', 'test']), 'stack');
  assert.equal(closest('CONFIG', ['config', 'run']), 'config');
  assert.equal(closest('xyzzy', ['stack', 'seed', 'test']), undefined);
  assert.equal(didYouMean('log.levle', ['log.level', 'log.pretty']), '; did you mean "log.level"?');
  assert.equal(didYouMean('zzz', ['log.level'], '; see --help'), '; see --help');
});
