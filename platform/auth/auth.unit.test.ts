import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { isCareloopError } from '../errors.js';
import { Authenticator } from './authenticator.js';
import { actorOf, makePrincipal, requirePermission } from './principal.js';
import { ROLE_PERMISSIONS } from './roles.js';
import { issueSessionToken, verifySessionToken } from './session-tokens.js';
import { StaffTokenVerifier } from './staff-tokens.js';

const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'careloop-api';
const NOW = new Date('2026-11-24T12:00:00Z');

function failsWith(code: string, reason?: string) {
  return (e: unknown) => isCareloopError(e) && e.code === code && (reason === undefined || e.details?.['reason'] === reason);
}

describe('staff tokens', () => {
  let key: CryptoKey;
  let otherKey: CryptoKey;
  let verifier: StaffTokenVerifier;
  before(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = pair.privateKey;
    otherKey = (await generateKeyPair('ES256')).privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    verifier = new StaffTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [jwk] } });
  });

  function sign(claims: JWTPayload, opts: { iss?: string; aud?: string; exp?: Date; signer?: CryptoKey } = {}): Promise<string> {
    return new SignJWT({ org_id: 'org-a', role: 'care_team', ...claims }).setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject('staff-42').setIssuer(opts.iss ?? ISSUER).setAudience(opts.aud ?? AUDIENCE).setIssuedAt(new Date(NOW.getTime() - 60_000))
      .setExpirationTime(opts.exp ?? new Date(NOW.getTime() + 3600_000)).sign(opts.signer ?? key);
  }

  test('a valid token becomes a staff principal of its organisation with its role permissions', async () => {
    const p = await verifier.verify(await sign({}), NOW);
    assert.deepEqual({ ...p }, { kind: 'staff', id: 'staff-42', organizationId: 'org-a', role: 'care_team', permissions: ROLE_PERMISSIONS.care_team, partnerId: null });
  });

  test('a partner token carries its partner; a platform operator token needs no organisation and belongs to none', async () => {
    const partner = await verifier.verify(await sign({ role: 'partner', partner_id: 'pharma-x' }), NOW);
    assert.deepEqual([partner.role, partner.organizationId, partner.partnerId], ['partner', 'org-a', 'pharma-x']);
    assert.equal((await verifier.verify(await sign({ role: 'care_team', partner_id: 'pharma-x' }), NOW)).partnerId, null, 'only partners name one');
    const operator = await verifier.verify(await sign({ role: 'platform_operator', org_id: undefined }), NOW);
    assert.deepEqual([operator.role, operator.organizationId, operator.permissions], ['platform_operator', '', ['platform:manage']]);
    assert.ok(!ROLE_PERMISSIONS.org_admin.includes('platform:manage'), 'an organisation admin manages no organisations');
  });

  test('wrong issuer, wrong audience, expired, foreign signature and missing organisation are unauthenticated', async () => {
    await assert.rejects(verifier.verify(await sign({}, { iss: 'https://evil.test/' }), NOW), failsWith('UNAUTHENTICATED', 'claim_invalid'));
    await assert.rejects(verifier.verify(await sign({}, { aud: 'someone-else' }), NOW), failsWith('UNAUTHENTICATED', 'claim_invalid'));
    await assert.rejects(verifier.verify(await sign({}, { exp: new Date(NOW.getTime() - 120_000) }), NOW), failsWith('UNAUTHENTICATED', 'token_expired'));
    await assert.rejects(verifier.verify(await sign({}, { signer: otherKey }), NOW), failsWith('UNAUTHENTICATED', 'token_invalid'));
    await assert.rejects(verifier.verify(await sign({ org_id: undefined }), NOW), failsWith('UNAUTHENTICATED', 'claim_invalid'));
    await assert.rejects(verifier.verify('not.a.jwt', NOW), failsWith('UNAUTHENTICATED', 'token_invalid'));
  });

  test('an unknown role is forbidden rather than given a default', async () => {
    await assert.rejects(verifier.verify(await sign({ role: 'superuser' }), NOW), failsWith('FORBIDDEN', 'unknown_role'));
  });

  test('the authenticator reads the Authorization header', async () => {
    const auth = new Authenticator({ staff: verifier, now: () => NOW });
    assert.equal((await auth.authenticate(`Bearer ${await sign({ role: 'analyst' })}`)).role, 'analyst');
    await assert.rejects(auth.authenticate(undefined), failsWith('UNAUTHENTICATED', 'no_credentials'));
    await assert.rejects(auth.authenticate('Basic dXNlcjpwYXNz'), failsWith('UNAUTHENTICATED', 'no_credentials'));
    await assert.rejects(auth.authenticate('Bearer ck_akXXXXXXXXXXXXXXXXXXXX_x'), failsWith('UNAUTHENTICATED', 'api_key_invalid'));
  });
});

describe('permissions', () => {
  test('a role reaches only its permissions, and only in its own organisation', () => {
    const nurse = makePrincipal('staff', 's1', 'org-a', 'care_team');
    requirePermission(nurse, 'phi:read', 'org-a');
    assert.throws(() => requirePermission(nurse, 'phi:read', 'org-b'), failsWith('FORBIDDEN', 'wrong_organization'));
    assert.throws(() => requirePermission(nurse, 'workflow:publish', 'org-a'), failsWith('FORBIDDEN', 'missing_permission'));
    for (const role of ['analyst', 'partner'] as const) {
      assert.throws(() => requirePermission(makePrincipal('api_key', 'k', 'org-a', role), 'phi:read', 'org-a'), failsWith('FORBIDDEN'));
    }
    requirePermission(makePrincipal('staff', 'a', 'org-a', 'org_admin'), 'workflow:publish', 'org-a');
    assert.deepEqual(actorOf(nurse, { ip: '10.0.0.1' }), { kind: 'staff', id: 's1', ip: '10.0.0.1' });
  });
});

describe('patient session tokens', () => {
  const secret = randomBytes(32);

  test('a token carries organisation and pseudonymous patient until it expires', async () => {
    const token = await issueSessionToken({ organizationId: 'org-a', patientId: 'pt_abc', ttlMs: 30 * 60_000 }, secret, NOW);
    assert.deepEqual(await verifySessionToken(token, secret, new Date(NOW.getTime() + 60_000)),
      { organizationId: 'org-a', patientId: 'pt_abc', expiresAt: new Date(NOW.getTime() + 30 * 60_000) });
    await assert.rejects(verifySessionToken(token, secret, new Date(NOW.getTime() + 30 * 60_000)), failsWith('UNAUTHENTICATED', 'session_expired'));
  });

  test('malformed, forged and tampered tokens fail with their own reasons', async () => {
    const token = await issueSessionToken({ organizationId: 'org-a', patientId: 'pt_abc', ttlMs: 60_000 }, secret, NOW);
    await assert.rejects(verifySessionToken('garbage', secret, NOW), failsWith('UNAUTHENTICATED', 'session_malformed'));
    await assert.rejects(verifySessionToken(token, randomBytes(32), NOW), failsWith('UNAUTHENTICATED', 'session_invalid'));
    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ org: 'org-b', sub: 'pt_abc', exp: 9e9, iss: 'careloop', aud: 'careloop:patient-session' })).toString('base64url')}.${s}`;
    await assert.rejects(verifySessionToken(forged, secret, NOW), failsWith('UNAUTHENTICATED', 'session_invalid'));
    await assert.rejects(issueSessionToken({ organizationId: 'o', patientId: 'p', ttlMs: 1000 }, randomBytes(16), NOW), failsWith('CONFIG_INVALID'));
  });

  test('a staff token is not a session token', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const staffToken = await new SignJWT({ org: 'org-a' }).setProtectedHeader({ alg: 'ES256' }).setSubject('pt_abc').setExpirationTime('1h').sign(privateKey);
    await assert.rejects(verifySessionToken(staffToken, secret), failsWith('UNAUTHENTICATED'));
  });
});
