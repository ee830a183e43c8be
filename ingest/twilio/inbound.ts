import { randomUUID } from 'node:crypto';
import type { InboundMessage, OutboundMessage } from '../../schemas/generated/avro-types.js';
import type { Actor } from '../../platform/audit/types.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { CareloopError } from '../../platform/errors.js';
import type { Publisher } from '../../platform/kafka/publisher.js';
import { helpText, type SmsAccount } from '../../platform/sms/accounts.js';
import { carrierKeyword } from '../../platform/sms/keywords.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import type { RedisClient } from '../../platform/storage/redis.js';
import type { CaregiverStore } from '../../platform/stores/caregivers.js';
import type { RateLimiter } from '../../platform/stores/rate-limit.js';
import { CAREGIVER_PHONE_INDEX, CAREGIVER_PREFIX } from '../../platform/reminders/caregiver.js';
import { blindDigest, type BlindIndexKeyProvider } from '../../platform/vault/index-keys.js';
import { normalizePhone } from '../../platform/vault/normalize.js';
import type { IdentityVerifier, VerificationResult } from '../../platform/vault/verification.js';
import { classifyUnverified, promptText, type Prompt } from './verification-step.js';

export interface InboundDeps {
  redis: RedisClient;
  prefix: string;
  pool: PgPool;
  publisher: Publisher;
  keyring: Keyring;
  indexKeys: BlindIndexKeyProvider;
  verifier: IdentityVerifier;
  /** Prompts to one unverified number: a loop with another robot must not run up the bill. */
  promptLimiter: RateLimiter;
  /** Caregivers, found by the blind index of their number when they text STOP or START. */
  caregivers: CaregiverStore;
  now: () => number;
}

/** Twilio's inbound message webhook fields we use (https://www.twilio.com/docs/messaging/guides/webhook-request). */
export interface InboundSms { MessageSid: string; From: string; Body: string }

type Recipient = { patientId: string } | { patientId: string; to: string };

const SEEN_TTL_SECONDS = 2 * 86_400; // Twilio retries a failed webhook for far less than this

/**
 * One inbound text: stored once per MessageSid; a verified number's text goes to chat.inbound
 * (sealed) like a web message, any other number first proves who it is. Every answer is a record on
 * chat.outbound, sent by delivery-sms: the webhook itself answers with empty TwiML.
 */
export class InboundSmsHandler {
  constructor(private readonly d: InboundDeps) {}

  async handle(account: SmsAccount, sms: InboundSms): Promise<'accepted' | 'duplicate'> {
    const seenKey = `${this.d.prefix}sms:in:${sms.MessageSid}`;
    if ((await this.d.redis.set(seenKey, 'pending', { NX: true, EX: SEEN_TTL_SECONDS })) === null) {
      if ((await this.d.redis.get(seenKey)) === 'done') return 'duplicate';
      throw new CareloopError('DEPENDENCY_UNAVAILABLE', 'the same message is still being stored'); // Twilio retries on 5xx
    }
    try {
      await this.process(account, sms);
      await this.d.redis.set(seenKey, 'done', { EX: SEEN_TTL_SECONDS });
      return 'accepted';
    } catch (err) {
      await this.d.redis.del(seenKey).catch(() => undefined);
      throw err;
    }
  }

  private async process(account: SmsAccount, sms: InboundSms): Promise<void> {
    const org = account.organizationId;
    const e164 = normalizePhone(sms.From);
    const digest = blindDigest(await this.d.indexKeys.indexKey(org), 'sms_identity', e164);
    const contact: Recipient = { patientId: `smsc_${digest.toString('hex').slice(0, 24)}`, to: e164 };
    const patientId = await this.verifiedPatient(org, digest);
    const keyword = carrierKeyword(sms.Body);
    if ((keyword === 'stop' || keyword === 'start') && (await this.caregiverKeyword(account, e164, keyword, sms.MessageSid, patientId === null))) return;
    if (keyword === 'help') return this.reply(account, patientId === null ? contact : { patientId }, helpText(account), sms.MessageSid, 'sms_help');
    if (patientId !== null) return this.forward(org, patientId, sms);
    await this.verification(account, sms, e164, digest, contact);
  }

  /**
   * STOP/START from a caregiver's number sets that caregiver's opt-out (audited, every patient they
   * care for); a number that is also a verified patient's still goes on to the chat for the patient.
   */
  private async caregiverKeyword(account: SmsAccount, e164: string, keyword: 'stop' | 'start', messageSid: string, answer: boolean): Promise<boolean> {
    const org = account.organizationId;
    const found = await this.d.caregivers.byPhoneDigest(org, blindDigest(await this.d.indexKeys.indexKey(org), CAREGIVER_PHONE_INDEX, e164));
    const first = found[0];
    if (first === undefined) return false;
    // The audit actor is the twilio service acting on the caregiver's text; its id names the caregiver.
    for (const c of found) await this.d.caregivers.optOutByText(org, c, keyword === 'stop', { kind: 'service', id: CAREGIVER_PREFIX + c.id, service: 'twilio' });
    if (!answer) return false;
    const text = keyword === 'stop' ? `${account.displayName}: you will get no more caregiver messages. Reply START to get them again.` : `${account.displayName}: caregiver messages are on again. Reply STOP to stop them.`;
    await this.reply(account, { patientId: CAREGIVER_PREFIX + first.id, to: e164 }, text, messageSid, `caregiver_${keyword}`);
    return true;
  }

  private async verifiedPatient(org: string, digest: Buffer): Promise<string | null> {
    const { rows } = await this.d.pool.query<{ patient_id: string }>(
      `SELECT i.patient_id FROM sms_identities i JOIN patients p ON p.id = i.patient_id
        WHERE i.organization_id = $1 AND i.subject_digest = $2 AND p.status <> 'erased'`, [org, digest]);
    return rows[0]?.patient_id ?? null;
  }

  private async forward(org: string, patientId: string, sms: InboundSms): Promise<void> {
    const record: InboundMessage = {
      messageId: randomUUID(), traceId: randomUUID(), organizationId: org, patientId, channel: 'SMS', clientMessageId: sms.MessageSid,
      receivedAt: this.d.now(), locale: null, text: await this.d.keyring.sealText(org, patientId, sms.Body),
    };
    await this.d.publisher.publish('chat.inbound', [{ key: patientId, value: record }]);
  }

  private async verification(account: SmsAccount, sms: InboundSms, e164: string, digest: Buffer, contact: Recipient): Promise<void> {
    const step = classifyUnverified(sms.Body);
    if (step.kind === 'keyword') return; // STOP/START from a number we never text unasked: nothing to change
    if (!(await this.d.promptLimiter.take(`sms-prompt:${contact.patientId}`))) return;
    const org = account.organizationId;
    const actor: Actor = { kind: 'patient', id: `sms:${contact.patientId}`, service: 'twilio' };
    const subject = { channel: 'sms' as const, address: e164 };
    const say = (p: Prompt, detail?: { remaining?: number; minutes?: number }): Promise<void> => this.reply(account, contact, promptText(p, account.displayName, detail), sms.MessageSid, `sms_verify_${p}`);
    switch (step.kind) {
      case 'birth_date': return this.settle(account, await this.d.verifier.verifyByBirthDate(actor, org, subject, e164, step.birthDate), digest, 'birth_date', sms, say);
      case 'code': return this.settle(account, await this.d.verifier.verifyCode(actor, org, subject, step.code), digest, 'code', sms, say);
      case 'request_code': {
        const issued = await this.d.verifier.issueCode(actor, org, subject, e164);
        if (issued.status === 'locked') return say('locked', { minutes: Math.ceil(issued.retryAfterMs / 60_000) });
        if (issued.status !== 'issued') return say('code_sent');
        const minutes = Math.max(1, Math.round((issued.expiresAt.getTime() - this.d.now()) / 60_000));
        return this.reply(account, { patientId: issued.patientId }, `${account.displayName}: your verification code is ${issued.code}. It expires in ${minutes} minutes. Never share it.`, sms.MessageSid, 'verification_code');
      }
      case 'other': return say('ask');
    }
  }

  private async settle(account: SmsAccount, result: VerificationResult, digest: Buffer, method: 'birth_date' | 'code', sms: InboundSms, say: (p: Prompt, d?: { remaining?: number; minutes?: number }) => Promise<void>): Promise<void> {
    switch (result.status) {
      case 'locked': return say('locked', { minutes: Math.ceil(result.retryAfterMs / 60_000) });
      case 'failed': return result.reason === 'ambiguous' ? say('ambiguous') : say('failed', { remaining: result.remainingAttempts });
      case 'verified':
        await this.bind(account.organizationId, digest, result.patientId, method);
        return this.reply(account, { patientId: result.patientId }, promptText('verified', account.displayName), sms.MessageSid, 'sms_verify_verified');
    }
  }

  /** The number is the patient's from now on; texting in and verifying is the consent to texts, recorded once. */
  private async bind(org: string, digest: Buffer, patientId: string, method: 'birth_date' | 'code'): Promise<void> {
    await this.d.pool.query(
      `INSERT INTO sms_identities (organization_id, subject_digest, patient_id, method) VALUES ($1, $2, $3, $4)
       ON CONFLICT (organization_id, subject_digest) DO UPDATE SET patient_id = EXCLUDED.patient_id, method = EXCLUDED.method, verified_at = now()`,
      [org, digest, patientId, method]);
    // A withdrawn consent (STOP earlier) stays withdrawn: only START grants it again.
    await this.d.pool.query(
      `INSERT INTO consents (patient_id, organization_id, channel, granted, recorded_at, source) VALUES ($1, $2, 'sms', true, to_timestamp($3 / 1000.0), 'sms_verified')
       ON CONFLICT (patient_id, channel) DO NOTHING`, [patientId, org, this.d.now()]);
  }

  private async reply(account: SmsAccount, to: Recipient, text: string, replyTo: string, templateId: string): Promise<void> {
    const org = account.organizationId;
    const content = 'to' in to ? { text, quickReplies: [], to: to.to } : { text, quickReplies: [] };
    const message: OutboundMessage = {
      messageId: randomUUID(), traceId: randomUUID(), organizationId: org, patientId: to.patientId, channel: 'SMS', kind: 'SYSTEM', replyTo,
      createdAt: this.d.now(), workflowId: null, workflowVersion: null, templateId, variantId: null, propensity: null,
      content: await this.d.keyring.sealText(org, to.patientId, JSON.stringify(content)),
    };
    await this.d.publisher.publish('chat.outbound', [{ key: to.patientId, value: message }]);
  }
}
