import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WebSocket } from 'ws';
import { silentLogger } from '../../test/helpers.js';
import { ChatGateway } from './gateway.js';

test('a socket that does not answer a ping by the next heartbeat is closed; an answering one stays', async () => {
  const refreshed: string[][] = [];
  const chat = new ChatGateway({
    instanceId: 'gw', log: silentLogger, now: Date.now, outbox: null as never,
    routes: { refresh: async (ids: readonly string[]) => { refreshed.push([...ids]); } } as never,
    allow: async () => true, accept: async () => 'accepted', openReply: async () => ({ text: '', quickReplies: [] }),
  });
  const fake = () => { const s = { pings: 0, terminated: false, ping() { s.pings += 1; }, terminate() { s.terminated = true; } }; return s; };
  const [silent, answering] = [fake(), fake()];
  const sock = (ws: ReturnType<typeof fake>, patientId: string) => ({ ws: ws as unknown as WebSocket, organizationId: 'o', patientId, locale: null, sent: null, alive: true, expiresAtMs: Infinity });
  const a = sock(silent, 'p1');
  const b = sock(answering, 'p2');
  chat.registry.add(a);
  chat.registry.add(b);
  await chat.heartbeat();
  assert.deepEqual([silent.pings, answering.pings], [1, 1]);
  b.alive = true; // the pong handler sets this when the client answers
  await chat.heartbeat();
  assert.equal(silent.terminated, true, 'no pong since the last ping: closed');
  assert.equal(answering.terminated, false);
  assert.deepEqual(refreshed[0]?.sort(), ['p1', 'p2'], 'routes of connected patients are refreshed');
});
