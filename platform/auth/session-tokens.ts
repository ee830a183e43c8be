import { errors, jwtVerify, SignJWT } from 'jose';
import { CareloopError } from '../errors.js';

/** What a patient session token proves: this pseudonymous patient of this organisation, until then. */
export interface SessionClaims {
  organizationId: string;
  patientId: string;
  expiresAt: Date;
}

/** Stable reasons in error details: a client refreshes on expired and starts over on the others. */
export type SessionFailure = 'session_expired' | 'session_malformed' | 'session_invalid';

const ISSUER = 'careloop';
const AUDIENCE = 'careloop:patient-session';
const TYP = 'careloop-session+jwt';

function keyOf(secret: Uint8Array): Uint8Array {
  if (secret.length < 32) throw new CareloopError('CONFIG_INVALID', 'the session token secret must be at least 32 bytes');
  return secret;
}

function failure(reason: SessionFailure, message: string, cause: unknown): CareloopError {
  return new CareloopError('UNAUTHENTICATED', message, { cause, details: { reason } });
}

/** An HS256 JWT bound to organisation and pseudonymous patient; expiry has one-second resolution. */
export async function issueSessionToken(
  claims: { organizationId: string; patientId: string; ttlMs: number }, secret: Uint8Array, now: Date = new Date(),
): Promise<string> {
  if (!(claims.ttlMs > 0)) throw new CareloopError('VALIDATION_FAILED', 'session ttl must be positive');
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ org: claims.organizationId })
    .setProtectedHeader({ alg: 'HS256', typ: TYP })
    .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject(claims.patientId)
    .setIssuedAt(iat).setExpirationTime(Math.floor((now.getTime() + claims.ttlMs) / 1000))
    .sign(keyOf(secret));
}

export async function verifySessionToken(token: string, secret: Uint8Array, now: Date = new Date()): Promise<SessionClaims> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, typ: TYP, currentDate: now, clockTolerance: 0, requiredClaims: ['sub', 'exp'],
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw failure('session_expired', 'session has expired', err);
    if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) throw failure('session_malformed', 'session token is malformed', err);
    throw failure('session_invalid', 'session token is not valid', err);
  }
  const org = payload['org'];
  if (typeof org !== 'string' || typeof payload.sub !== 'string' || payload.exp === undefined) {
    throw failure('session_malformed', 'session token is malformed', undefined);
  }
  return { organizationId: org, patientId: payload.sub, expiresAt: new Date(payload.exp * 1000) };
}
