import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../config/config.js';
import { isCareloopError } from '../errors.js';
import { caBundle, listenerTls } from './tls.js';

test('TLS is off by default; half a configuration or a missing file fails with the key names', () => {
  assert.equal(listenerTls(loadConfig({ env: {} })), null);
  assert.throws(() => listenerTls(loadConfig({ env: { CARELOOP_SERVICES_TLS_CERT_FILE: '/x.pem' } })),
    (e: unknown) => isCareloopError(e) && e.code === 'CONFIG_INVALID' && /tlsCertFile and services\.tlsKeyFile/.test(e.message));
  assert.throws(() => listenerTls(loadConfig({ env: { CARELOOP_SERVICES_TLS_CERT_FILE: '/nope.pem', CARELOOP_SERVICES_TLS_KEY_FILE: '/nope.key' } })), /cannot read the TLS/);
  assert.equal(caBundle(''), undefined);
  assert.throws(() => caBundle('/nope-ca.pem'), /cannot read CA file/);
});
