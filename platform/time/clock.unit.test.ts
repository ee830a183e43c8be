import assert from 'node:assert/strict';
import { test } from 'node:test';
import { processClock } from './clock.js';

const wall = (): number => Date.parse('2026-12-01T12:00:00Z');

test('no offset: the wall clock itself', () => {
  assert.equal(processClock({ env: 'development', clock: { offset: 0 } }, wall), wall);
});

test('a negative offset reads an earlier instant, at the wall clock\'s pace', () => {
  const offset = Date.parse('2026-10-31T23:59:59Z') - wall();
  let t = wall();
  const now = processClock({ env: 'test', clock: { offset } }, () => t);
  assert.equal(new Date(now()).toISOString(), '2026-10-31T23:59:59.000Z');
  t += 1500;
  assert.equal(new Date(now()).toISOString(), '2026-11-01T00:00:00.500Z');
});

test('production refuses a shifted clock, naming the key', () => {
  assert.throws(() => processClock({ env: 'production', clock: { offset: 1 } }, wall), /clock\.offset/);
  assert.equal(processClock({ env: 'production', clock: { offset: 0 } }, wall), wall);
});
