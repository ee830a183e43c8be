import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadAllServices, loadService, SERVICE_NAMES } from './services.js';

test('every lazily loaded service is the one its name says, and an unknown name loads nothing', async () => {
  const defs = await loadAllServices();
  assert.deepEqual(defs.map((d) => d.name), [...SERVICE_NAMES], 'each loader returns the service of its name, in start order');
  assert.equal(new Set(SERVICE_NAMES).size, SERVICE_NAMES.length, 'names are unique');
  assert.equal((await loadService('dialogue'))?.name, 'dialogue');
  assert.equal(await loadService('no-such-service'), undefined);
});
