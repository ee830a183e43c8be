import type { Agent } from 'node:https';
import webpush from 'web-push';
import type { VapidKeys } from '../../platform/delivery/push-keys.js';
import type { WebPushSubscription } from '../../platform/stores/push-devices.js';
import { outcomeOf, type PushNotification, type PushOutcome } from './notification.js';

export interface WebPushOptions {
  keys: VapidKeys;
  subject: string;
  /** Trusts an extra CA (push.caFile). */
  agent?: Agent;
  /** Seconds the push service keeps an undelivered notification. */
  ttlSeconds: number;
}

/** Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291), via web-push. */
export class WebPushSender {
  constructor(private readonly opts: WebPushOptions) {}

  async send(sub: WebPushSubscription, n: PushNotification): Promise<PushOutcome> {
    try {
      const res = await webpush.sendNotification(sub, JSON.stringify(n), {
        vapidDetails: { subject: this.opts.subject, publicKey: this.opts.keys.publicKey, privateKey: this.opts.keys.privateKey },
        TTL: this.opts.ttlSeconds, contentEncoding: 'aes128gcm', urgency: 'high', timeout: 10_000, topic: n.tag.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32),
        ...(this.opts.agent === undefined ? {} : { agent: this.opts.agent }),
      });
      return outcomeOf(res.statusCode);
    } catch (err) {
      if (err instanceof webpush.WebPushError) return outcomeOf(err.statusCode);
      return { kind: 'failed', retryable: true, status: 0 }; // the network: try again
    }
  }
}
