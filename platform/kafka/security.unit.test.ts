import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../config/config.js';
import { kafkaSasl, kafkajsSecurity, rdkafkaSecurity } from './security.js';

test('no SASL by default: kafkajs gets no sasl, librdkafka plaintext or ssl', () => {
  const cfg = loadConfig({ env: {} });
  assert.equal(kafkaSasl(cfg), null);
  assert.deepEqual(kafkajsSecurity({ ssl: false, sasl: null }), { ssl: false });
  assert.deepEqual(rdkafkaSecurity({ ssl: true, caFile: '/ca.pem' }), { 'security.protocol': 'ssl', 'ssl.ca.location': '/ca.pem' });
});

test('SASL/PLAIN and SCRAM reach both drivers; the password file wins over the variable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'careloop-sasl-'));
  try {
    writeFileSync(join(dir, 'pw'), 'from-file\n');
    const cfg = loadConfig({ env: { CARELOOP_KAFKA_SASL_MECHANISM: 'scram-sha-256', CARELOOP_KAFKA_SASL_USERNAME: 'u', CARELOOP_KAFKA_SASL_PASSWORD: 'from-env', CARELOOP_KAFKA_SASL_PASSWORD_FILE: join(dir, 'pw') } });
    const sasl = kafkaSasl(cfg);
    assert.deepEqual(sasl, { mechanism: 'scram-sha-256', username: 'u', password: 'from-file' });
    assert.deepEqual(kafkajsSecurity({ ssl: true, sasl }), { ssl: true, sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'from-file' } });
    assert.deepEqual(rdkafkaSecurity({ ssl: false, sasl: { mechanism: 'plain', username: 'u', password: 'p' } }),
      { 'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': 'PLAIN', 'sasl.username': 'u', 'sasl.password': 'p' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a mechanism without credentials, or an unreadable password file, fails at start with the key name', () => {
  assert.throws(() => kafkaSasl(loadConfig({ env: { CARELOOP_KAFKA_SASL_MECHANISM: 'plain' } })), /kafka.saslUsername/);
  assert.throws(() => kafkaSasl(loadConfig({ env: { CARELOOP_KAFKA_SASL_MECHANISM: 'plain', CARELOOP_KAFKA_SASL_USERNAME: 'u', CARELOOP_KAFKA_SASL_PASSWORD_FILE: '/nonexistent/pw' } })), /kafka.saslPasswordFile/);
  assert.throws(() => loadConfig({ env: { CARELOOP_KAFKA_SASL_MECHANISM: 'gssapi' } }), /kafka.saslMechanism/);
});

test('the vault database defaults to the main one and can be its own', () => {
  const same = loadConfig({ env: { CARELOOP_POSTGRES_URL: 'postgres://u:p@db:5432/careloop' } });
  assert.equal(same.postgres.vaultUrl, same.postgres.url);
  const apart = loadConfig({ env: { CARELOOP_POSTGRES_URL: 'postgres://u:p@db:5432/careloop', CARELOOP_POSTGRES_VAULT_URL: 'postgres://v:p@vault:5432/vault' } });
  assert.equal(apart.postgres.vaultUrl, 'postgres://v:p@vault:5432/vault');
});
