import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../platform/log.js';
import { buildApiApp } from './api/app.js';
import { API_OPERATIONS } from './api/operations.js';
import { buildGatewayApp } from './gateway/app.js';

// The documents are built from the route schemas alone; no handler runs, so the services the
// handlers would use are absent (a call would throw).
const unused = new Proxy({}, { get: () => { throw new Error('not used to build the document'); } }) as never;
const log = createLogger({ level: 'silent' });

interface Operation { operationId?: string; tags?: string[]; summary?: string; responses: Record<string, { description?: string }>; parameters?: Array<{ name: string; in: string; required?: boolean; schema?: { default?: unknown } }> }
type Doc = { info: { version: string; description?: string }; paths: Record<string, Record<string, Operation>>; tags?: Array<{ name: string }> };

async function documents(): Promise<Array<[string, Doc]>> {
  const api = await buildApiApp({ log, version: '9.9.9', bodyLimit: 1000, authenticate: unused, limiter: null, security: unused, pool: unused, sessionSecret: new Uint8Array(32), sessionTtlMs: 1000, now: () => new Date(0), forgetConversation: unused, ehrEndpoints: unused, caregivers: unused, workflows: { repo: unused, publisher: unused, catalogFor: unused, now: () => new Date(0) }, inbox: { tasks: unused, holds: unused, keyring: unused, publisher: unused, audit: unused, conversation: unused, now: () => 0 }, campaigns: { tenants: unused, campaigns: unused, reports: unused, audit: unused, now: () => 0 }, portalData: { staff: unused, conversation: unused }, analytics: { clickhouse: unused, database: 'careloop', now: () => new Date(0) } });
  const gateway = await buildGatewayApp({ log, gateway: unused, verifyToken: unused, maxFrameBytes: 1000, verify: { verifier: unused, issueToken: unused, sendCode: unused }, push: { vapidPublicKey: null, register: unused, remove: unused, prefer: unused } });
  await api.ready();
  await gateway.ready();
  const docs: Array<[string, Doc]> = [['api', api.swagger() as unknown as Doc], ['gateway', gateway.swagger() as unknown as Doc]];
  await api.close();
  await gateway.close();
  return docs;
}

test('every operation of both documents has a unique operationId, a declared tag, a summary and described responses', async () => {
  for (const [name, doc] of await documents()) {
    const ids = new Set<string>();
    const tags = new Set((doc.tags ?? []).map((t) => t.name));
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${name} ${method.toUpperCase()} ${path}`;
        assert.ok(op.operationId, `${where}: operationId`);
        assert.ok(!ids.has(op.operationId), `${where}: operationId ${op.operationId} twice`);
        ids.add(op.operationId);
        assert.ok(op.tags !== undefined && op.tags.length > 0 && op.tags.every((t) => tags.has(t)), `${where}: tags ${String(op.tags)} declared`);
        assert.ok(op.summary, `${where}: summary`);
        for (const [status, r] of Object.entries(op.responses)) {
          assert.ok(r.description && r.description !== 'Default Response', `${where} ${status}: description`);
          if (Number(status) >= 400) assert.match(r.description, /code: [A-Z_]+/, `${where} ${status}: names its error codes`);
        }
        for (const p of op.parameters ?? []) assert.ok(!(p.required === true && p.schema?.default !== undefined), `${where}: ${p.name} has a default yet is required`);
      }
    }
  }
});

test('the API table names real routes, /v1/version is public and the gateway document describes the chat', async () => {
  const [[, api], [, gateway]] = (await documents()) as [[string, Doc], [string, Doc]];
  const documented = new Set(Object.entries(api.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`)));
  // The organisation routes are moved to their own file elsewhere; every other entry must exist.
  for (const key of Object.keys(API_OPERATIONS).filter((k) => !k.startsWith('PATCH '))) assert.ok(documented.has(key), `${key} is a route`);
  assert.deepEqual((api.paths['/v1/version']?.['get'] as unknown as { security?: unknown[] }).security, []);
  assert.equal(api.info.version, '9.9.9');
  assert.notEqual(gateway.info.version, '0');
  assert.ok(gateway.paths['/v1/chat']?.['get'], 'the chat upgrade is an operation');
  assert.match(gateway.info.description ?? '', /"type":"history"/);
});
