import { randomInt, timingSafeEqual } from 'node:crypto';
import type { Actor, AuditSink } from '../audit/types.js';
import { blindDigest, type BlindIndexKeyProvider } from './index-keys.js';
import { randomBase62 } from './ids.js';
import { normalizePhone } from './normalize.js';
import type { Vault } from './vault.js';
import { afterAttempt, compileLimits, lockRemainingMs, remainingAttempts, type AttemptState, type VerificationLimits } from './verification-policy.js';
import type { CodeStore, CounterFn, StoredCode, VerificationStore } from './verification-store.js';

/** Who is asking to be recognised: a chat session id or the SMS number a message came from. */
export interface Subject {
  channel: 'sms' | 'web';
  address: string;
}

export type FailureReason = 'no_match' | 'ambiguous' | 'no_code' | 'code_mismatch' | 'code_expired' | 'code_used';

export type VerificationResult =
  | { status: 'verified'; patientId: string }
  | { status: 'failed'; reason: FailureReason; remainingAttempts: number }
  | { status: 'locked'; retryAfterMs: number };

/** The caller answers every status but "locked" with the same words, so numbers cannot be enumerated. */
export type CodeIssueResult =
  | { status: 'issued'; code: string; sendTo: string; expiresAt: Date; patientId: string }
  | { status: 'no_match' | 'ambiguous' }
  | { status: 'locked'; retryAfterMs: number };

export interface VerifierOptions {
  limits?: Partial<VerificationLimits>;
  now?: () => Date;
  defaultCallingCode?: string;
}


/**
 * Recognises a new chat session or SMS number as a vault patient, by phone + date of birth or by a
 * one-time code sent to the phone on file. Failures count against both the subject and the targeted
 * phone (so rotating chat sessions does not buy more guesses), and every attempt is audited.
 */
export class IdentityVerifier {
  private readonly limits: VerificationLimits;
  private readonly now: () => Date;

  constructor(
    private readonly vault: Vault,
    private readonly store: VerificationStore,
    private readonly indexKeys: BlindIndexKeyProvider,
    private readonly audit: AuditSink,
    private readonly opts: VerifierOptions = {},
  ) {
    this.limits = compileLimits(opts.limits);
    this.now = opts.now ?? (() => new Date());
  }

  async verifyByBirthDate(actor: Actor, organizationId: string, subject: Subject, phone: string, birthDate: string): Promise<VerificationResult> {
    const e164 = normalizePhone(phone, this.opts.defaultCallingCode);
    const { keys } = await this.attemptKeys(organizationId, subject, e164);
    // Looked up before the counters are locked: nothing may wait for a connection while they are held.
    // A locked subject still learns nothing, as the answer is decided under the lock.
    const ids = await this.vault.findByPhoneAndBirthDate(actor, organizationId, e164, birthDate, 'identity_verification');
    const result = await this.store.withCounters(organizationId, keys, this.guarded(async (states) => {
      if (ids.length === 1 && ids[0] !== undefined) return this.settle(states, { status: 'verified', patientId: ids[0] });
      // Two patients sharing phone and birth date (twins on a parent's phone) need a person, not a count.
      if (ids.length > 1) return { value: { status: 'failed', reason: 'ambiguous', remainingAttempts: remainingAttempts(states, this.limits, this.now()) }, next: states };
      return this.settle(states, 'no_match');
    }));
    await this.record(actor, organizationId, 'verification.birth_date', result, result.status === 'verified' ? result.patientId : null);
    return result;
  }

  /** Makes a code for the one patient whose phone this is; sending it by SMS is the caller's job. */
  async issueCode(actor: Actor, organizationId: string, subject: Subject, phone: string): Promise<CodeIssueResult> {
    const e164 = normalizePhone(phone, this.opts.defaultCallingCode);
    const { indexKey, keys } = await this.attemptKeys(organizationId, subject, e164);
    const ids = await this.vault.findByPhone(actor, organizationId, e164, 'identity_verification');
    const result = await this.store.withCounters<CodeIssueResult>(organizationId, keys, async (states, codes) => {
      const wait = lockRemainingMs(states, this.now());
      if (wait > 0) return { value: { status: 'locked', retryAfterMs: wait }, next: states };
      const patientId = ids[0];
      if (ids.length !== 1 || patientId === undefined) return { value: { status: ids.length === 0 ? 'no_match' : 'ambiguous' }, next: states };
      return { value: await this.newCode(codes, organizationId, indexKey, keys, e164, patientId), next: states };
    });
    const outcome = result.status === 'issued' ? 'success' : result.status === 'locked' ? 'denied' : 'failure';
    await this.audit.record({
      organizationId, actor, action: 'verification.code.issue', patientId: result.status === 'issued' ? result.patientId : null,
      purpose: 'identity_verification', outcome, ...(outcome === 'success' ? {} : { reason: result.status }),
    });
    return result;
  }

  async verifyCode(actor: Actor, organizationId: string, subject: Subject, code: string): Promise<VerificationResult> {
    const indexKey = await this.indexKeys.indexKey(organizationId);
    const subjectDigest = this.subjectDigest(indexKey, subject);
    // Read once to learn which phone the code targets (its counter is locked too), again under the lock.
    const issued = await this.store.latestCode(organizationId, subjectDigest);
    const keys = issued === undefined ? [subjectDigest] : [subjectDigest, issued.targetDigest];
    const result = await this.store.withCounters(organizationId, keys, this.guarded(async (states, codes) => {
      const latest = await codes.latestCode(organizationId, subjectDigest);
      if (latest === undefined) return this.settle(states, 'no_code');
      const failure = this.checkCode(indexKey, latest, code);
      if (failure !== undefined) return this.settle(states, failure);
      const consumed = await codes.consumeCode(organizationId, latest.id, this.now());
      return this.settle(states, consumed ? { status: 'verified', patientId: latest.patientId } : 'code_used');
    }));
    await this.record(actor, organizationId, 'verification.code.check', result, issued?.patientId ?? null);
    return result;
  }

  private checkCode(indexKey: Buffer, stored: StoredCode, code: string): FailureReason | undefined {
    const presented = code.replace(/\s/g, '');
    // Compare keyed hashes of equal length in constant time; a malformed code simply does not match.
    const matches = timingSafeEqual(codeHash(indexKey, stored.id, presented), stored.codeHash);
    if (stored.consumedAt !== null) return 'code_used';
    if (stored.expiresAt.getTime() <= this.now().getTime()) return 'code_expired';
    return matches ? undefined : 'code_mismatch';
  }

  private async newCode(codes: CodeStore, organizationId: string, indexKey: Buffer, keys: Buffer[], sendTo: string, patientId: string): Promise<CodeIssueResult> {
    const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
    const id = `vc_${randomBase62(20)}`;
    const createdAt = this.now();
    const expiresAt = new Date(createdAt.getTime() + this.limits.codeTtlMs);
    const stored: StoredCode = { id, patientId, targetDigest: keys[1] as Buffer, codeHash: codeHash(indexKey, id, code), createdAt, expiresAt, consumedAt: null };
    await codes.saveCode(organizationId, keys[0] as Buffer, stored);
    return { status: 'issued', code, sendTo, expiresAt, patientId };
  }

  /** Refuses without looking anything up while any key is locked. */
  private guarded(attempt: CounterFn<VerificationResult>): CounterFn<VerificationResult> {
    return async (states, codes) => {
      const wait = lockRemainingMs(states, this.now());
      if (wait > 0) return { value: { status: 'locked', retryAfterMs: wait }, next: states };
      return attempt(states, codes);
    };
  }

  /** Counts the attempt against every key and shapes the answer. */
  private settle(states: AttemptState[], outcome: FailureReason | { status: 'verified'; patientId: string }): { value: VerificationResult; next: AttemptState[] } {
    const success = typeof outcome !== 'string';
    const next = states.map((s) => afterAttempt(s, success, this.now(), this.limits));
    if (success) return { value: outcome, next };
    return { value: { status: 'failed', reason: outcome, remainingAttempts: remainingAttempts(next, this.limits, this.now()) }, next };
  }

  private async attemptKeys(organizationId: string, subject: Subject, e164: string): Promise<{ indexKey: Buffer; keys: Buffer[] }> {
    const indexKey = await this.indexKeys.indexKey(organizationId);
    return { indexKey, keys: [this.subjectDigest(indexKey, subject), blindDigest(indexKey, 'verification_target', e164)] };
  }

  private subjectDigest(indexKey: Buffer, subject: Subject): Buffer {
    const address = subject.channel === 'sms' ? normalizePhone(subject.address, this.opts.defaultCallingCode) : subject.address;
    return blindDigest(indexKey, 'verification_subject', `${subject.channel}:${address}`);
  }

  private async record(actor: Actor, organizationId: string, action: string, result: VerificationResult, patientId: string | null): Promise<void> {
    const outcome = result.status === 'verified' ? 'success' : result.status === 'locked' ? 'denied' : 'failure';
    const reason = result.status === 'failed' ? result.reason : result.status === 'locked' ? 'locked' : undefined;
    await this.audit.record({ organizationId, actor, action, patientId, purpose: 'identity_verification', outcome, ...(reason === undefined ? {} : { reason }) });
  }
}

/** Keyed hash of a code: six digits are a million guesses offline, so a bare sha256 would not do. */
function codeHash(indexKey: Buffer, codeId: string, code: string): Buffer {
  return blindDigest(indexKey, 'verification_code', `${codeId}:${code}`);
}
