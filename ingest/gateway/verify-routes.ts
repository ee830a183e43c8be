import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Actor } from '../../platform/audit/types.js';
import { CareloopError } from '../../platform/errors.js';
import type { VerificationResult, IdentityVerifier, CodeIssueResult } from '../../platform/vault/verification.js';

export interface VerifyRoutesDeps {
  verifier: IdentityVerifier;
  /** Mints the chat session token of a verified patient. */
  issueToken(organizationId: string, patientId: string): Promise<{ token: string; expiresAt: string }>;
  /** Sends the one-time code to the phone on file (an SMS record on chat.outbound). */
  sendCode(organizationId: string, patientId: string, code: string, expiresAt: Date): Promise<void>;
  /** Limits code requests per phone (SMS costs money and can harass); false when over the limit. */
  allowCodeRequest?(organizationId: string, phone: string): Promise<boolean>;
}

const Id = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' });
const Phone = Type.String({ minLength: 5, maxLength: 32, pattern: '^[+0-9 ().-]+$' });
const Common = { organizationId: Id, sessionId: Type.String({ minLength: 16, maxLength: 64, pattern: '^[A-Za-z0-9-]+$', description: 'a random id the client keeps for this verification attempt' }) };
const Err = Type.Ref('Error');
const Verified = Type.Object({ patientId: Type.String(), token: Type.String(), expiresAt: Type.String() });
const errors = { 400: Err, 401: Err, 429: Err };

function actor(sessionId: string, ip: string): Actor {
  return { kind: 'patient', id: `session:${sessionId}`, ip, service: 'gateway' };
}

async function answer(result: VerificationResult, deps: VerifyRoutesDeps, organizationId: string): Promise<{ patientId: string; token: string; expiresAt: string }> {
  switch (result.status) {
    case 'verified': return { patientId: result.patientId, ...(await deps.issueToken(organizationId, result.patientId)) };
    case 'locked': throw new CareloopError('LOCKED_OUT', `too many failed attempts; try again in ${Math.ceil(result.retryAfterMs / 60_000)} minutes`);
    case 'failed': throw new CareloopError('VERIFICATION_FAILED', `those details do not match our records; ${result.remainingAttempts} attempts left`);
  }
}

/**
 * Identity verification for a new chat: the patient proves who they are (phone + date of birth, or
 * a one-time code sent to the phone on file) and only then gets a session token. Answers never tell
 * whether a phone is registered; attempts are limited and every one is audited.
 */
export function registerVerifyRoutes(app: FastifyInstance, deps: VerifyRoutesDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.post('/v1/verify/birth-date', {
    schema: { summary: 'Verify by phone and date of birth; returns a session token', security: [], body: Type.Object({ ...Common, phone: Phone, birthDate: Type.String({ format: 'date' }) }, { additionalProperties: false }), response: { 200: Verified, ...errors } },
  }, async (req) => {
    const b = req.body;
    return answer(await deps.verifier.verifyByBirthDate(actor(b.sessionId, req.ip), b.organizationId, { channel: 'web', address: b.sessionId }, b.phone, b.birthDate), deps, b.organizationId);
  });
  r.post('/v1/verify/code', {
    schema: { summary: 'Send a one-time code by SMS to the phone on file, if there is one', security: [], body: Type.Object({ ...Common, phone: Phone }, { additionalProperties: false }), response: { 202: Type.Object({ status: Type.Literal('sent_if_registered') }), ...errors } },
  }, async (req, reply) => {
    const b = req.body;
    if (deps.allowCodeRequest !== undefined && !(await deps.allowCodeRequest(b.organizationId, b.phone))) {
      throw new CareloopError('RATE_LIMITED', 'too many codes were requested for this number; wait a few minutes');
    }
    const result: CodeIssueResult = await deps.verifier.issueCode(actor(b.sessionId, req.ip), b.organizationId, { channel: 'web', address: b.sessionId }, b.phone);
    if (result.status === 'locked') throw new CareloopError('LOCKED_OUT', `too many attempts; try again in ${Math.ceil(result.retryAfterMs / 60_000)} minutes`);
    if (result.status === 'issued') await deps.sendCode(b.organizationId, result.patientId, result.code, result.expiresAt);
    return reply.code(202).send({ status: 'sent_if_registered' as const });
  });
  r.post('/v1/verify/code/check', {
    schema: { summary: 'Check the one-time code; returns a session token', security: [], body: Type.Object({ ...Common, code: Type.String({ pattern: '^[0-9]{6}$' }) }, { additionalProperties: false }), response: { 200: Verified, ...errors } },
  }, async (req) => {
    const b = req.body;
    return answer(await deps.verifier.verifyCode(actor(b.sessionId, req.ip), b.organizationId, { channel: 'web', address: b.sessionId }, b.code), deps, b.organizationId);
  });
}
