import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { isCareloopError } from '../errors.js';
import { StaffTokenVerifier } from './staff-tokens.js';

describe('staff tokens against a JWKS URL', () => {
  let server: Server;
  let url: string;
  let key: CryptoKey;
  before(async () => {
    const pair = await generateKeyPair('RS256');
    key = pair.privateKey;
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'rsa1', alg: 'RS256', use: 'sig' }] });
    server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(jwks); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('keys are fetched from the provider', async () => {
    const verifier = new StaffTokenVerifier({ issuer: 'https://idp.test/', audience: 'careloop-api', jwks: { url } });
    const token = await new SignJWT({ org_id: 'org-a', role: 'org_admin' }).setProtectedHeader({ alg: 'RS256', kid: 'rsa1' })
      .setSubject('admin-1').setIssuer('https://idp.test/').setAudience('careloop-api').setExpirationTime('5m').sign(key);
    assert.equal((await verifier.verify(token)).role, 'org_admin');
  });

  test('an unreachable provider is a retryable dependency failure, not a bad token', async () => {
    const verifier = new StaffTokenVerifier({ issuer: 'https://idp.test/', audience: 'careloop-api', jwks: { url: 'http://127.0.0.1:9/jwks.json' } });
    const token = await new SignJWT({ org_id: 'org-a', role: 'org_admin' }).setProtectedHeader({ alg: 'RS256', kid: 'rsa1' })
      .setSubject('admin-1').setIssuer('https://idp.test/').setAudience('careloop-api').setExpirationTime('5m').sign(key);
    await assert.rejects(verifier.verify(token), (e: unknown) => isCareloopError(e) && e.code === 'DEPENDENCY_UNAVAILABLE' && e.retryable);
  });
});
