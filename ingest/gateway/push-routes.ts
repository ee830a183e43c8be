import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CareloopError } from '../../platform/errors.js';
import type { WebPushSubscription } from '../../platform/stores/push-devices.js';
import type { SessionClaims } from './gateway.js';

export interface PushRoutesDeps {
  verifyToken(token: string): Promise<SessionClaims>;
  /** The VAPID public key (base64url) the page subscribes with; null: Web Push is off. */
  vapidPublicKey: string | null;
  register(organizationId: string, patientId: string, device: { kind: 'webpush'; subscription: WebPushSubscription } | { kind: 'fcm'; token: string }): Promise<string>;
  remove(organizationId: string, patientId: string, id: string): Promise<boolean>;
  /** Stores the channel the patient prefers for reminders (null: no preference). */
  prefer(organizationId: string, patientId: string, channel: 'web' | 'push' | 'sms' | null): Promise<void>;
}

const B64URL = '^[A-Za-z0-9_-]+={0,2}$';
const Err = Type.Ref('Error');
const Registered = Type.Object({ id: Type.String({ description: 'the device id, for DELETE' }) });
const security = [{ session: [] }];

/** The same session token as the patient's socket (Authorization: Bearer …); a bad one is 401. */
async function claimsOf(req: FastifyRequest, deps: PushRoutesDeps): Promise<SessionClaims> {
  const auth = req.headers.authorization;
  if (typeof auth !== 'string' || !auth.startsWith('Bearer ')) throw new CareloopError('UNAUTHENTICATED', 'a session token is required (Authorization: Bearer …)');
  try { return await deps.verifyToken(auth.slice(7).trim()); } catch {
    throw new CareloopError('UNAUTHENTICATED', 'the session token is not valid; verify again');
  }
}

/**
 * Where a patient registers to be reached by push: the chat page's Web Push subscription (its
 * service worker) and the mobile app's FCM registration token. A device belongs to the session's
 * patient only; the push service's 404/410/UNREGISTERED removes it on the next send.
 */
export function registerPushRoutes(app: FastifyInstance, deps: PushRoutesDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get('/v1/push/web-push-key', {
    schema: { summary: 'The VAPID public key to subscribe the chat page with (PushManager.subscribe applicationServerKey)', security: [], response: { 200: Type.Object({ publicKey: Type.String() }), 404: Err } },
  }, async () => {
    if (deps.vapidPublicKey === null) throw new CareloopError('NOT_FOUND', 'Web Push is not configured on this deployment');
    return { publicKey: deps.vapidPublicKey };
  });
  r.post('/v1/push/subscriptions', {
    schema: {
      summary: 'Register the chat page\'s Web Push subscription for the session\'s patient', security,
      body: Type.Object({
        endpoint: Type.String({ format: 'uri', pattern: '^https://', maxLength: 2048 }),
        expirationTime: Type.Optional(Type.Union([Type.Null(), Type.Number()])),
        keys: Type.Object({ p256dh: Type.String({ pattern: B64URL, minLength: 80, maxLength: 100 }), auth: Type.String({ pattern: B64URL, minLength: 16, maxLength: 32 }) }, { additionalProperties: false }),
      }, { additionalProperties: false }),
      response: { 201: Registered, 400: Err, 401: Err, 404: Err },
    },
  }, async (req, reply) => {
    const c = await claimsOf(req, deps);
    if (deps.vapidPublicKey === null) throw new CareloopError('NOT_FOUND', 'Web Push is not configured on this deployment');
    const id = await deps.register(c.organizationId, c.patientId, { kind: 'webpush', subscription: { endpoint: req.body.endpoint, keys: req.body.keys } });
    return reply.code(201).send({ id });
  });
  r.post('/v1/push/devices', {
    schema: {
      summary: 'Register a mobile app\'s FCM registration token for the session\'s patient', security,
      body: Type.Object({ token: Type.String({ minLength: 20, maxLength: 4096, pattern: '^[A-Za-z0-9_:.-]+$' }) }, { additionalProperties: false }),
      response: { 201: Registered, 400: Err, 401: Err },
    },
  }, async (req, reply) => {
    const c = await claimsOf(req, deps);
    return reply.code(201).send({ id: await deps.register(c.organizationId, c.patientId, { kind: 'fcm', token: req.body.token }) });
  });
  r.put('/v1/channel-preference', {
    schema: {
      summary: 'Set the channel the session\'s patient prefers for reminders (web, push or sms; null: the product\'s order)', security,
      body: Type.Object({ channel: Type.Union([Type.Literal('web'), Type.Literal('push'), Type.Literal('sms'), Type.Null()]) }, { additionalProperties: false }),
      response: { 204: Type.Null(), 400: Err, 401: Err },
    },
  }, async (req, reply) => {
    const c = await claimsOf(req, deps);
    await deps.prefer(c.organizationId, c.patientId, req.body.channel);
    return reply.code(204).send(null);
  });
  r.delete('/v1/push/devices/:id', {
    schema: { summary: 'Unregister a push device or subscription of the session\'s patient', security, params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{40}$' }) }), response: { 204: Type.Null(), 401: Err, 404: Err } },
  }, async (req, reply) => {
    const c = await claimsOf(req, deps);
    if (!(await deps.remove(c.organizationId, c.patientId, req.params.id))) throw new CareloopError('NOT_FOUND', 'no such device for this patient');
    return reply.code(204).send(null);
  });
}
