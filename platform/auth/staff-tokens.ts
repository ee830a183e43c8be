import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { CareloopError } from '../errors.js';
import { makePrincipal, type Principal } from './principal.js';
import { isRole } from './roles.js';

export interface StaffTokenOptions {
  issuer: string;
  audience: string;
  /** The identity provider's JWKS URL, or a JWKS document (tests, development, air-gapped sites). */
  jwks: { url: string } | JSONWebKeySet;
  /** Claim holding the organisation id. */
  organizationClaim?: string;
  roleClaim?: string;
  /** Asymmetric algorithms only: an HS256 token signed with a guessed secret must never pass. */
  algorithms?: string[];
  clockToleranceSec?: number;
}

/** Stable reasons in error details, for clients and dashboards. */
export type TokenFailure = 'token_expired' | 'token_invalid' | 'claim_invalid' | 'unknown_role';

function unauthenticated(reason: TokenFailure, message: string, cause?: unknown, extra: Record<string, unknown> = {}): CareloopError {
  return new CareloopError('UNAUTHENTICATED', message, { cause, details: { reason, ...extra } });
}

/** The provider's key set could not be fetched: the caller's token may well be fine, so retry. */
function keySetUnavailable(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout) return true;
  if (err instanceof TypeError && err.message === 'fetch failed') return true; // undici: refused, DNS, reset
  return err instanceof errors.JOSEError && err.code === 'ERR_JOSE_GENERIC' && /Key Set HTTP response/.test(err.message);
}

function mapJoseError(err: unknown): CareloopError {
  if (err instanceof errors.JWTExpired) return unauthenticated('token_expired', 'token has expired', err);
  if (err instanceof errors.JWTClaimValidationFailed) return unauthenticated('claim_invalid', `token claim ${err.claim} is not accepted`, err, { claim: err.claim });
  if (keySetUnavailable(err)) return new CareloopError('DEPENDENCY_UNAVAILABLE', 'the identity provider key set is unreachable', { cause: err });
  return unauthenticated('token_invalid', 'token is not valid', err);
}

/** Verifies staff tokens from the organisation's OIDC provider and turns them into principals. */
export class StaffTokenVerifier {
  private readonly keys: ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly opts: StaffTokenOptions) {
    this.keys = 'url' in opts.jwks ? createRemoteJWKSet(new URL(opts.jwks.url)) : createLocalJWKSet(opts.jwks);
  }

  async verify(token: string, now: Date = new Date()): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        algorithms: this.opts.algorithms ?? ['RS256', 'PS256', 'ES256', 'EdDSA'],
        clockTolerance: this.opts.clockToleranceSec ?? 30,
        currentDate: now,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (err) {
      throw mapJoseError(err);
    }
    return this.principal(payload);
  }

  private principal(payload: JWTPayload): Principal {
    const orgClaim = this.opts.organizationClaim ?? 'org_id';
    const role = payload[this.opts.roleClaim ?? 'role'];
    // A valid identity with a role we do not know gets nothing rather than a guessed default.
    if (!isRole(role)) throw new CareloopError('FORBIDDEN', 'token role is not a Careloop role', { details: { reason: 'unknown_role' } });
    // The platform operator belongs to no organisation; every other staff member to exactly one.
    if (role === 'platform_operator') return makePrincipal('staff', payload.sub as string, '', role);
    const organizationId = payload[orgClaim];
    if (typeof organizationId !== 'string' || organizationId === '') throw unauthenticated('claim_invalid', `token has no ${orgClaim} claim`, undefined, { claim: orgClaim });
    // A partner's staff token names its partner (claim partner_id); without it the partner sees no campaign.
    const partnerId = payload['partner_id'];
    return makePrincipal('staff', payload.sub as string, organizationId, role, role === 'partner' && typeof partnerId === 'string' && partnerId !== '' ? partnerId : null);
  }
}
