import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import WebSocket from 'ws';
import { freePort, ProductProcess } from './product.js';

test('with a certificate configured, the API answers over https and the gateway over wss', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'careloop-tls-'));
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const ca = readFileSync(cert);
  const [apiPort, gatewayPort, opsPort] = [await freePort(), await freePort(), await freePort()];
  const proc = await ProductProcess.start(['api', 'gateway'], {
    ...process.env, CARELOOP_SERVICES_TLS_CERT_FILE: cert, CARELOOP_SERVICES_TLS_KEY_FILE: key, CARELOOP_LOG_LEVEL: 'warn',
    CARELOOP_SERVICES_API_PORT: String(apiPort), CARELOOP_SERVICES_GATEWAY_PORT: String(gatewayPort), CARELOOP_SERVICES_OPS_PORT: String(opsPort),
  });
  try {
    assert.match(proc.output, new RegExp(`https://127\\.0\\.0\\.1:${apiPort}`));
    assert.match(proc.output, new RegExp(`wss://127\\.0\\.0\\.1:${gatewayPort}/v1/chat`));
    const status = await new Promise<number>((resolve, reject) => {
      get({ host: '127.0.0.1', port: apiPort, path: '/openapi.json', ca }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
    });
    assert.equal(status, 200);
    // The TLS handshake succeeds with the CA; the missing token is then refused at the upgrade.
    const refused = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`wss://127.0.0.1:${gatewayPort}/v1/chat`, { ca });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', reject);
    });
    assert.equal(refused, 401);
  } finally {
    await proc.stop();
  }
});
