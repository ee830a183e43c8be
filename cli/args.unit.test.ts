import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCareloopError } from '../platform/errors.js';
import { parseArgs } from './args.js';
import { UsageError } from './usage.js';

test('flags, values and positionals parse; unknown flags are refused', () => {
  const { positional, flags } = parseArgs(['run', 'all', '--config', 'c.json', '--prepare', '--tier=unit', '--', '--literal'], { config: 'value', prepare: 'bool', tier: 'value' });
  assert.deepEqual(positional, ['run', 'all', '--literal']);
  assert.equal(flags.get('config'), 'c.json');
  assert.equal(flags.get('prepare'), true);
  assert.equal(flags.get('tier'), 'unit');
  assert.throws(() => parseArgs(['--prepar'], { prepare: 'bool' }), (e: unknown) => e instanceof UsageError && isCareloopError(e) && /unknown option --prepar; did you mean "--prepare"/.test(e.message));
  assert.throws(() => parseArgs(['--config'], { config: 'value' }), /needs a value/);
});
