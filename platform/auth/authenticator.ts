import { CareloopError } from '../errors.js';
import { looksLikeApiKey, type ApiKeys } from './api-keys.js';
import type { Principal } from './principal.js';
import type { StaffTokenVerifier } from './staff-tokens.js';

export interface AuthenticatorDeps {
  staff?: StaffTokenVerifier;
  apiKeys?: ApiKeys;
  now?: () => Date;
}

/** Turns an Authorization header into a principal: "Bearer <staff JWT>" or "Bearer ck_<api key>". */
export class Authenticator {
  constructor(private readonly deps: AuthenticatorDeps) {}

  async authenticate(headerValue: string | undefined): Promise<Principal> {
    const m = /^Bearer +(\S+) *$/i.exec(headerValue ?? '');
    const token = m?.[1];
    if (token === undefined) throw new CareloopError('UNAUTHENTICATED', 'missing or malformed Authorization header', { details: { reason: 'no_credentials' } });
    if (looksLikeApiKey(token)) {
      if (this.deps.apiKeys === undefined) throw new CareloopError('UNAUTHENTICATED', 'API keys are not accepted here', { details: { reason: 'api_key_invalid' } });
      return this.deps.apiKeys.verify(token);
    }
    if (this.deps.staff === undefined) throw new CareloopError('UNAUTHENTICATED', 'staff tokens are not accepted here', { details: { reason: 'token_invalid' } });
    return this.deps.staff.verify(token, this.deps.now?.() ?? new Date());
  }
}
