import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CareloopError, normalizeError, toHttpError } from '../../platform/errors.js';
import type { RateLimiter } from '../../platform/stores/rate-limit.js';
import type { SessionClaims } from './gateway.js';

export const CHAT_PATH = '/v1/chat';
const LOCALE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

export interface ChatUpgradeOptions {
  maxFrameBytes: number;
  verifyToken(token: string): Promise<SessionClaims>;
  ipLimiter: RateLimiter | null;
  connect(ws: WebSocket, claims: SessionClaims, locale: string | null): Promise<unknown>;
}

/** The session token (Authorization: Bearer … or ?token=) and the patient's locale of an upgrade request. */
export function upgradeCredentials(req: Pick<IncomingMessage, 'headers'>, query: URLSearchParams): { token: string | null; locale: string | null } {
  const auth = req.headers.authorization;
  const bearer = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
  const q = query.get('token') ?? '';
  const token = bearer !== '' ? bearer : q !== '' && q.length <= 4096 ? q : null;
  const locale = query.get('locale');
  return { token, locale: locale !== null && locale.length <= 35 && LOCALE.test(locale) ? locale : null };
}

function refuse(socket: Duplex, err: unknown): void {
  const { status, body } = toHttpError(err);
  const json = JSON.stringify(body);
  const extra = status === 429 ? 'Retry-After: 1\r\n' : '';
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\n${extra}Connection: close\r\n\r\n${json}`);
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

type Admission = { ok: true; claims: SessionClaims; locale: string | null } | { ok: false; error: unknown };

// Apart from the upgrade listener, so nothing of the request (URL, token, headers) stays reachable from a closure kept by the socket.
async function admit(opts: ChatUpgradeOptions, req: IncomingMessage, query: URLSearchParams): Promise<Admission> {
  try {
    if (opts.ipLimiter !== null && !(await opts.ipLimiter.take(`ip:${req.socket.remoteAddress ?? ''}`))) throw new CareloopError('RATE_LIMITED', 'too many requests from this address; slow down');
    const { token, locale } = upgradeCredentials(req, query);
    if (token === null) throw new CareloopError('UNAUTHENTICATED', 'a session token is required (Authorization: Bearer … or ?token=…)');
    const claims = await opts.verifyToken(token).catch((err: unknown) => {
      const e = normalizeError(err);
      throw e.code === 'UNAUTHENTICATED' || e.code === 'FORBIDDEN' ? e : new CareloopError('UNAUTHENTICATED', 'the session token is not valid');
    });
    return { ok: true, claims, locale };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * The chat's WebSocket upgrade, straight on the HTTP server rather than through a Fastify route:
 * a routed upgrade keeps its request, reply, logger and span alive for the socket's whole life
 * (about 3 KB a session). Same checks: per-IP bucket, token before the upgrade (401, no socket).
 */
export function handleChatUpgrades(server: { on(event: 'upgrade', l: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): unknown }, opts: ChatUpgradeOptions): WebSocketServer {
  // No client tracking (the gateway's registry holds the sockets), no compression state per socket.
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: opts.maxFrameBytes });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', destroyOnError);
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== CHAT_PATH) { refuse(socket, new CareloopError('NOT_FOUND', `no WebSocket at ${url.pathname}`)); return; }
    void admit(opts, req, url.searchParams).then((admitted) => {
      if (!admitted.ok) { refuse(socket, admitted.error); return; }
      socket.removeListener('error', destroyOnError); // the WebSocket handles its socket's errors from here
      const { claims, locale } = admitted;
      wss.handleUpgrade(req, socket, head, (ws) => { void opts.connect(ws, claims, locale).catch(() => ws.terminate()); });
    });
  });
  return wss;
}
