import type { OutboundMessage } from '../../schemas/generated/avro-types.js';

/*
 * The SMS edge's own rules, whatever the dialogue decided: opted-out numbers get no texts but the
 * STOP/START confirmations and safety replies, proactive texts need a recorded SMS consent and wait
 * out quiet hours, and nothing is sent after its validity period.
 */

export interface Recipient {
  /** 'contact': a number not yet verified as a patient; only verification and HELP texts reach it. */
  /** 'caregiver': someone a patient named (`cgv_<id>`); held to a patient's rules, consent being the patient's for them. */
  kind: 'patient' | 'contact' | 'caregiver';
  status: 'active' | 'opted_out' | 'erased' | 'unknown';
  /** The SMS consent on record: true granted, false withdrawn, null never asked. */
  smsConsent: boolean | null;
}

export type DropReason = 'EXPIRED' | 'OPTED_OUT' | 'NO_SMS_CONSENT' | 'NOT_A_PATIENT' | 'CONTACT_NOT_ALLOWED';

export type SmsDecision =
  | { kind: 'send'; validUntil: number }
  | { kind: 'defer'; until: number }
  | { kind: 'drop'; reason: DropReason };

export interface PolicyInput {
  message: Pick<OutboundMessage, 'kind' | 'createdAt'>;
  recipient: Recipient;
  now: number;
  validityMs: number;
  /** When a proactive text may go out: `now` outside quiet hours, else the window's end. */
  quietUntil: number;
}

export function decide({ message, recipient, now, validityMs, quietUntil }: PolicyInput): SmsDecision {
  const validUntil = message.createdAt + validityMs;
  if (now >= validUntil) return { kind: 'drop', reason: 'EXPIRED' };
  if (recipient.kind === 'contact') return message.kind === 'SYSTEM' ? { kind: 'send', validUntil } : { kind: 'drop', reason: 'CONTACT_NOT_ALLOWED' };
  if (recipient.status === 'erased' || recipient.status === 'unknown') return { kind: 'drop', reason: 'NOT_A_PATIENT' };
  const optedOut = recipient.status === 'opted_out' || recipient.smsConsent === false;
  switch (message.kind) {
    case 'SAFETY': case 'SYSTEM':
      return { kind: 'send', validUntil }; // emergencies, STOP/START confirmations, one-time codes
    case 'REPLY':
      return optedOut ? { kind: 'drop', reason: 'OPTED_OUT' } : { kind: 'send', validUntil };
    case 'PROACTIVE':
      if (optedOut) return { kind: 'drop', reason: 'OPTED_OUT' };
      if (recipient.smsConsent !== true) return { kind: 'drop', reason: 'NO_SMS_CONSENT' };
      if (quietUntil > now) return quietUntil >= validUntil ? { kind: 'drop', reason: 'EXPIRED' } : { kind: 'defer', until: quietUntil };
      return { kind: 'send', validUntil };
  }
}

/** Messages per second of one sender, by kind (carrier limits: long codes 1/s in the US). */
export interface SenderRates {
  longCode: number;
  tollFree: number;
  shortCode: number;
}

/** Senders are paced 10 % under their limit: a send a little late, or a slow hop, still lands inside it at the carrier. */
export const PACING_MARGIN = 1.1;

/** How late a send may start after its slot and still keep the gap to the sender's next slot: half the margin, at least 20 ms. */
export function lateAllowanceMs(intervalMs: number): number {
  return Math.max(20, Math.floor((intervalMs - intervalMs / PACING_MARGIN) / 2));
}

export function senderIntervalMs(kind: 'long_code' | 'toll_free' | 'short_code', rates: SenderRates): number {
  const perSecond = kind === 'long_code' ? rates.longCode : kind === 'toll_free' ? rates.tollFree : rates.shortCode;
  return Math.max(1, Math.ceil((1000 / perSecond) * PACING_MARGIN));
}
