import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captureLogger } from '../test/helpers.js';
import { recordLogger } from './log.js';

test('PHI fields are redacted at any depth, ids are kept', () => {
  const { log, lines } = captureLogger();
  const child = recordLogger(log, { messageId: 'm1', patientId: 'p-pseudo', organizationId: 'o1', traceId: 't1' });
  child.info({ phone: '+15550100', patient: { firstName: 'CANARY-Ada', dateOfBirth: '1970-01-01' }, req: { headers: { authorization: 'Bearer x' } }, text: 'my chest hurts' }, 'hello');
  assert.equal(lines.length, 1);
  const line = lines[0] as string;
  for (const secret of ['+15550100', 'CANARY-Ada', '1970-01-01', 'Bearer x', 'chest']) assert.ok(!line.includes(secret), `${secret} leaked`);
  const parsed = JSON.parse(line) as Record<string, unknown>;
  assert.equal(parsed['patientId'], 'p-pseudo');
  assert.equal(parsed['messageId'], 'm1');
  assert.equal(parsed['level'], 'info');
});

test('request lines keep method and path, never the query string (tokens) or the client address', () => {
  const { log, lines } = captureLogger();
  log.info({ req: { method: 'GET', url: '/v1/chat?token=SECRET', id: 'r1', socket: { remoteAddress: '10.1.2.3' } } }, 'incoming request');
  assert.ok(!lines[0]?.includes('SECRET') && !lines[0]?.includes('10.1.2.3'));
  assert.deepEqual((JSON.parse(lines[0] as string) as { req: unknown }).req, { method: 'GET', path: '/v1/chat', id: 'r1' });
});
