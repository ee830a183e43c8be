import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { testConfig, uniqueId } from '../../test/helpers.js';
import { isCareloopError } from '../errors.js';
import { repoRoot } from '../paths.js';
import { createPgPool, migratePostgres } from '../storage/postgres.js';
import { ApiKeys } from './api-keys.js';
import { Authenticator } from './authenticator.js';
import { requirePermission } from './principal.js';

const pool = createPgPool({ ...testConfig().postgres, applicationName: 'careloop-test' });
const invalid = (e: unknown) => isCareloopError(e) && e.code === 'UNAUTHENTICATED' && e.details?.['reason'] === 'api_key_invalid';

describe('API keys', () => {
  const org = uniqueId('org');
  const keys = new ApiKeys(pool);
  before(async () => {
    await migratePostgres(pool, join(repoRoot(), 'platform/storage/migrations/postgres'));
    await pool.query('INSERT INTO organizations (id, slug, display_name) VALUES ($1, $1, $2)', [org, 'API key clinic']);
  });
  after(async () => {
    await pool.query('DELETE FROM auth.api_keys WHERE organization_id = $1', [org]);
    await pool.query('DELETE FROM campaigns.partners WHERE organization_id = $1', [org]);
    await pool.query('DELETE FROM organizations WHERE id = $1', [org]);
    await pool.end();
  });

  test('a key is shown once, stored only as a hash, and authenticates as its organisation and role', async () => {
    await pool.query("INSERT INTO campaigns.partners (organization_id, id, display_name) VALUES ($1, 'pharma-r', 'Pharma R')", [org]);
    await assert.rejects(keys.create(org, 'partner', 'Pharma reporting'), (e: unknown) => isCareloopError(e) && e.code === 'VALIDATION_FAILED', 'a partner key names its partner');
    await assert.rejects(keys.create(org, 'partner', 'Pharma reporting', 'nobody'), (e: unknown) => isCareloopError(e) && e.code === 'VALIDATION_FAILED', 'one of the organisation\'s');
    const { id, token } = await keys.create(org, 'partner', 'Pharma reporting', 'pharma-r');
    assert.match(token, /^ck_ak[0-9A-Za-z]{20}_[0-9A-Za-z]{43}$/);
    const { rows } = await pool.query<Record<string, unknown>>('SELECT * FROM auth.api_keys WHERE id = $1', [id]);
    const secret = token.split('_')[2] as string;
    assert.ok(!JSON.stringify(rows).includes(secret) && !(rows[0]?.['secret_hash'] as Buffer).includes(Buffer.from(secret)));
    const principal = await new Authenticator({ apiKeys: keys }).authenticate(`Bearer ${token}`);
    assert.deepEqual([principal.kind, principal.id, principal.organizationId, principal.role, principal.partnerId], ['api_key', id, org, 'partner', 'pharma-r']);
    requirePermission(principal, 'reports:read', org);
    assert.throws(() => requirePermission(principal, 'phi:read', org), (e: unknown) => isCareloopError(e) && e.code === 'FORBIDDEN');
  });

  test('a wrong secret, an unknown id, a malformed key and a revoked key are refused alike', async () => {
    const { id, token } = await keys.create(org, 'care_team', 'EHR sync');
    const last = token.at(-1) === 'a' ? 'b' : 'a';
    await assert.rejects(keys.verify(token.slice(0, -1) + last), invalid);
    await assert.rejects(keys.verify(token.replace(id, 'akAAAAAAAAAAAAAAAAAAAA')), invalid);
    await assert.rejects(keys.verify('ck_nope'), invalid);
    await keys.revoke(org, id);
    await assert.rejects(keys.verify(token), invalid);
    await assert.rejects(keys.revoke('another-org', id), (e: unknown) => isCareloopError(e) && e.code === 'NOT_FOUND');
    assert.ok((await keys.list(org)).some((k) => k.id === id && k.revokedAt !== null));
  });
});
