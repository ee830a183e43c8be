import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isCareloopError } from '../errors.js';
import { open, seal } from './envelope.js';
import { LocalMasterKey, loadMasterKey } from './master-key.js';

test('sealed text opens only with the same key and the same owner', () => {
  const key = randomBytes(32);
  const s = seal(key, 'org/v1', 'I took my pills', 'org:patient-1');
  assert.ok(!s.ciphertext.toString('utf8').includes('pills'));
  assert.equal(open(key, s, 'org:patient-1').toString('utf8'), 'I took my pills');
  assert.throws(() => open(key, s, 'org:patient-2'), (e: unknown) => isCareloopError(e) && e.code === 'RECORD_INVALID');
  assert.throws(() => open(randomBytes(32), s, 'org:patient-1'));
  const tampered = { ...s, ciphertext: Buffer.from(s.ciphertext) };
  tampered.ciphertext[0] = (tampered.ciphertext[0] ?? 0) ^ 1;
  assert.throws(() => open(key, tampered, 'org:patient-1'));
  assert.notDeepEqual(seal(key, 'k', 'same', 'a').nonce, seal(key, 'k', 'same', 'a').nonce, 'a fresh nonce each time');
});

test('the master key wraps data keys bound to their context', async () => {
  const master = new LocalMasterKey(randomBytes(32));
  const dek = randomBytes(32);
  const wrapped = await master.wrap(dek, 'careloop:org-key:o/v1');
  assert.deepEqual(await master.unwrap(wrapped, 'careloop:org-key:o/v1'), dek);
  await assert.rejects(master.unwrap(wrapped, 'careloop:org-key:o/v2'));
});

test('development creates a master key file once; production refuses to run without one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'careloop-mk-'));
  const src = { env: 'development' as const, masterKey: '', masterKeyFile: '', devKeyFile: join(dir, 'master.key') };
  assert.equal(loadMasterKey(src).id, loadMasterKey(src).id, 'the same key on the second load');
  assert.throws(() => loadMasterKey({ ...src, env: 'production' }), /production needs crypto\.masterKey/);
  assert.throws(() => loadMasterKey({ ...src, masterKey: 'c2hvcnQ=' }), /at least 32 bytes/);
  assert.throws(() => loadMasterKey({ ...src, masterKey: Buffer.alloc(48).toString('base64') }), /exactly 32 bytes/);
});
