import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import swagger from '@fastify/swagger';
import type { Metrics } from '../../platform/service/metrics.js';
import type { RateLimiter } from '../../platform/stores/rate-limit.js';
import { Type } from '@sinclair/typebox';
import { ErrorBody, installCommonHandlers, publicErrorResponses } from '../http.js';
import { installApiDescription } from '../openapi.js';
import { REFERENCE_PAGE_CSP, referencePage } from '../reference-page.js';
import { CHAT_CONTRACT_MARKDOWN, asyncApiDocument } from './asyncapi.js';
import { registerWeb } from './web.js';
import { registerVerifyRoutes, type VerifyRoutesDeps } from './verify-routes.js';
import { registerPushRoutes, type PushRoutesDeps } from './push-routes.js';
import { CareloopError, normalizeError, toHttpError } from '../../platform/errors.js';
import type { Logger } from '../../platform/log.js';
import { productVersion } from '../../platform/version.js';
import type { ChatGateway, SessionClaims } from './gateway.js';

const GATEWAY_OPERATIONS = {
  'POST /v1/verify/birth-date': { operationId: 'verifyByBirthDate', tag: 'verification' },
  'POST /v1/verify/code': { operationId: 'requestVerificationCode', tag: 'verification' },
  'POST /v1/verify/code/check': { operationId: 'checkVerificationCode', tag: 'verification' },
  'GET /v1/chat': { operationId: 'openChat', tag: 'chat' },
  'GET /v1/version': { operationId: 'getGatewayVersion', tag: 'meta' },
  'GET /v1/session': { operationId: 'getSession', tag: 'verification' },
  'GET /v1/push/web-push-key': { operationId: 'getWebPushKey', tag: 'push' },
  'POST /v1/push/subscriptions': { operationId: 'registerWebPushSubscription', tag: 'push' },
  'POST /v1/push/devices': { operationId: 'registerPushDevice', tag: 'push' },
  'DELETE /v1/push/devices/:id': { operationId: 'removePushDevice', tag: 'push' },
  'PUT /v1/channel-preference': { operationId: 'setChannelPreference', tag: 'push' },
} as const;

export interface DemoPatient { id: string; token: string; label: string }
export interface DemoDirectory { organizationId: string; patients: DemoPatient[] }

export interface GatewayAppOptions {
  log: Logger;
  gateway: ChatGateway;
  /** The process's metrics: HTTP requests and durations are counted when given. */
  metrics?: Metrics;
  verifyToken(token: string): Promise<SessionClaims>;
  maxFrameBytes: number;
  /** Certificate and key: the gateway listens with TLS (https, wss) when given. */
  https?: { cert: Buffer; key: Buffer } | null;
  /** Identity verification (new chats); absent, the verify routes are not offered. */
  verify?: VerifyRoutesDeps;
  /** Per-IP token bucket in front of every HTTP request and upgrade. */
  ipLimiter?: RateLimiter | null;
  /** Push device registration; absent, the push routes are not offered. */
  push?: Omit<PushRoutesDeps, 'verifyToken'>;
  /** Default: package.json's. */
  version?: string;
  /** Demo patients for the chat page, with fresh tokens; absent in production. */
  demoPatients?: () => Promise<DemoDirectory>;
  /** Origins that may embed the chat and call the verify routes (gateway.allowedOrigins). */
  allowedOrigins?: readonly string[];
}

function tokenOf(req: FastifyRequest): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim();
  const q = (req.query as Record<string, unknown>)['token'];
  return typeof q === 'string' && q !== '' ? q : null;
}

function localeOf(req: FastifyRequest): string | null {
  const q = (req.query as Record<string, unknown>)['locale'];
  return typeof q === 'string' && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(q) ? q : null;
}

/**
 * The patient-facing listener: WebSocket chat at /v1/chat (token checked before the upgrade: a bad
 * one gets 401 and no socket) and the chat page at /. Built apart from listen() for inject().
 */
export async function buildGatewayApp(opts: GatewayAppOptions): Promise<FastifyInstance> {
  const version = opts.version ?? productVersion();
  const app = Fastify({
    ...(opts.https ? { https: opts.https } : {}),
    loggerInstance: opts.log as FastifyBaseLogger,
    bodyLimit: 16_384,
    // Unknown fields are an error, never silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array' } },
  });
  await app.register(websocket, { options: { maxPayload: opts.maxFrameBytes, perMessageDeflate: false } });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Careloop patient gateway', version, description: `Identity verification for new chats and the patient chat, a WebSocket. Errors are \`{code, message}\`; each error status lists its codes. Interactive reference: /docs.\n${CHAT_CONTRACT_MARKDOWN}` },
      tags: [{ name: 'verification', description: 'Prove who the patient is; get a session token' }, { name: 'chat', description: 'The patient chat (WebSocket)' }, { name: 'meta', description: 'Version' }, { name: 'push', description: 'Register devices for push notifications' }],
      components: { securitySchemes: { session: { type: 'http', scheme: 'bearer', description: 'a patient session token' } } },
    },
  });
  installCommonHandlers(app, opts.ipLimiter ?? null, opts.metrics === undefined ? undefined : { server: 'gateway', metrics: opts.metrics });
  app.addSchema(ErrorBody);
  installApiDescription(app, GATEWAY_OPERATIONS, 'gateway');
  const claimsByRequest = new WeakMap<FastifyRequest, SessionClaims>();
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/asyncapi.json', { schema: { hide: true } }, async () => asyncApiDocument(version));
  app.get('/docs', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').header('content-security-policy', REFERENCE_PAGE_CSP).send(referencePage('Careloop patient gateway')));
  app.get('/v1/version', { schema: { summary: 'The product name and version', response: { 200: Type.Object({ name: Type.String(), version: Type.String() }), ...publicErrorResponses } } }, async () => ({ name: 'careloop', version }));
  if (opts.verify !== undefined) registerVerifyRoutes(app, opts.verify);
  if (opts.push !== undefined) registerPushRoutes(app, { ...opts.push, verifyToken: opts.verifyToken });

  app.get('/v1/chat', {
    websocket: true,
    schema: {
      summary: 'Open the patient chat (WebSocket upgrade); frames are described in the document description and /asyncapi.json',
      security: [{ session: [] }],
      querystring: { type: 'object', properties: { token: { type: 'string', maxLength: 4096, description: 'the session token, when the client cannot set Authorization' }, locale: { type: 'string', maxLength: 35, description: 'BCP 47 language of the patient, e.g. es' } } },
      response: { 101: { description: 'Switching to the WebSocket protocol', type: 'null' }, 400: Type.Ref('Error'), 401: Type.Ref('Error'), 429: Type.Ref('Error') },
    },
    preValidation: async (req, reply) => {
      const token = tokenOf(req);
      try {
        if (token === null) throw new CareloopError('UNAUTHENTICATED', 'a session token is required (Authorization: Bearer … or ?token=…)');
        claimsByRequest.set(req, await opts.verifyToken(token));
      } catch (err) {
        const e = normalizeError(err);
        const { status, body } = toHttpError(e.code === 'UNAUTHENTICATED' || e.code === 'FORBIDDEN' ? e : new CareloopError('UNAUTHENTICATED', 'the session token is not valid'));
        await reply.code(status as 401).send(body);
      }
    },
  }, async (socket, req) => {
    const claims = claimsByRequest.get(req);
    if (claims === undefined) { socket.close(1008, 'unauthenticated'); return; }
    await opts.gateway.connect(socket, claims, localeOf(req));
  });

  registerWeb(app, { allowedOrigins: opts.allowedOrigins ?? [], tls: opts.https != null, verifyToken: opts.verifyToken, ...(opts.demoPatients === undefined ? {} : { demoPatients: opts.demoPatients }) });
  return app;
}
