import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Metrics } from '../../platform/service/metrics.js';
import type { RateLimiter } from '../../platform/stores/rate-limit.js';
import { Type } from '@sinclair/typebox';
import { ErrorBody, installCommonHandlers, publicErrorResponses } from '../http.js';
import { installApiDescription } from '../openapi.js';
import { REFERENCE_PAGE_CSP, referencePage } from '../reference-page.js';
import { CHAT_CONTRACT_MARKDOWN, asyncApiDocument } from './asyncapi.js';
import { registerWeb } from './web.js';
import { CHAT_PATH, handleChatUpgrades } from './upgrade.js';
import { registerVerifyRoutes, type VerifyRoutesDeps } from './verify-routes.js';
import { registerPushRoutes, type PushRoutesDeps } from './push-routes.js';
import { CareloopError } from '../../platform/errors.js';
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
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/asyncapi.json', { schema: { hide: true } }, async () => asyncApiDocument(version));
  app.get('/docs', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').header('content-security-policy', REFERENCE_PAGE_CSP).send(referencePage('Careloop patient gateway')));
  app.get('/v1/version', { schema: { summary: 'The product name and version', response: { 200: Type.Object({ name: Type.String(), version: Type.String() }), ...publicErrorResponses } } }, async () => ({ name: 'careloop', version }));
  if (opts.verify !== undefined) registerVerifyRoutes(app, opts.verify);
  if (opts.push !== undefined) registerPushRoutes(app, { ...opts.push, verifyToken: opts.verifyToken });

  // The route documents the chat and answers a plain GET; upgrades are taken on the server itself (upgrade.ts).
  app.get(CHAT_PATH, {
    schema: {
      summary: 'Open the patient chat (WebSocket upgrade); frames are described in the document description and /asyncapi.json',
      security: [{ session: [] }],
      querystring: { type: 'object', properties: { token: { type: 'string', maxLength: 4096, description: 'the session token, when the client cannot set Authorization' }, locale: { type: 'string', maxLength: 35, description: 'BCP 47 language of the patient, e.g. es' } } },
      response: { 101: { description: 'Switching to the WebSocket protocol', type: 'null' }, 400: Type.Ref('Error'), 401: Type.Ref('Error'), 429: Type.Ref('Error') },
    },
  }, async () => { throw new CareloopError('VALIDATION_FAILED', 'this is a WebSocket: send Upgrade: websocket'); });
  const wss = handleChatUpgrades(app.server, {
    maxFrameBytes: opts.maxFrameBytes, verifyToken: opts.verifyToken, ipLimiter: opts.ipLimiter ?? null,
    connect: (ws, claims, locale) => { upgraded = true; return opts.gateway.connect(ws, claims, locale); },
  });
  let upgraded = false;
  // Sockets are told to reconnect elsewhere before the listener waits for its connections to end.
  app.addHook('preClose', async () => { if (upgraded) opts.gateway.closeAll(); wss.close(); });

  registerWeb(app, { allowedOrigins: opts.allowedOrigins ?? [], tls: opts.https != null, verifyToken: opts.verifyToken, ...(opts.demoPatients === undefined ? {} : { demoPatients: opts.demoPatients }) });
  return app;
}
