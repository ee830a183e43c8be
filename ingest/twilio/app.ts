import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import twilio from 'twilio';
import { Counter } from 'prom-client';
import type { Logger } from '../../platform/log.js';
import type { Metrics } from '../../platform/service/metrics.js';
import type { SmsAccount } from '../../platform/sms/accounts.js';
import { installCommonHandlers } from '../http.js';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export interface TwilioAppOptions {
  log: Logger;
  metrics?: Metrics;
  /** The public base URL Twilio signs (sms.webhookBaseUrl): a load balancer in front rewrites the local one. */
  publicBaseUrl: string;
  account(accountSid: string): Promise<SmsAccount | null>;
  inbound(account: SmsAccount, params: Record<string, string>): Promise<void>;
  status(account: SmsAccount, params: Record<string, string>): Promise<void>;
}

/**
 * Twilio's webhooks: inbound texts and message status callbacks. Each request must carry a valid
 * X-Twilio-Signature for the account it names (HMAC-SHA1 of the public URL and the form fields,
 * keyed by the account's auth token); anything else gets 403 and is counted. Built apart from listen().
 */
export async function buildTwilioApp(opts: TwilioAppOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: opts.log as FastifyBaseLogger, bodyLimit: 65_536 });
  installCommonHandlers(app, null, opts.metrics === undefined ? undefined : { server: 'twilio', metrics: opts.metrics });
  const rejected = new Counter({ name: 'careloop_twilio_webhook_rejected_total', help: 'Twilio webhook requests refused for a bad or missing signature', labelNames: ['route'], registers: opts.metrics === undefined ? [] : [opts.metrics.registry] });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  const base = opts.publicBaseUrl.replace(/\/$/, '');

  const signed = (route: string, handle: (account: SmsAccount, params: Record<string, string>) => Promise<void>) =>
    async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const params = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, string>;
      const signature = req.headers['x-twilio-signature'];
      const account = typeof params['AccountSid'] === 'string' ? await opts.account(params['AccountSid']) : null;
      if (account === null || typeof signature !== 'string' || !twilio.validateRequest(account.authToken, signature, base + req.url, params)) {
        rejected.inc({ route });
        return reply.code(403).send({ code: 'FORBIDDEN', message: 'the request is not signed by Twilio for a known account' });
      }
      await handle(account, params);
      return reply.code(200).type('text/xml').send(EMPTY_TWIML);
    };

  app.post('/v1/twilio/sms', signed('sms', opts.inbound));
  app.post('/v1/twilio/status', signed('status', opts.status));
  return app;
}
