import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import type { Config } from '../config/config.js';
import { CareloopError } from '../errors.js';
import { ApiKeys } from '../auth/api-keys.js';
import { Authenticator } from '../auth/authenticator.js';
import { StaffTokenVerifier } from '../auth/staff-tokens.js';
import { AuditLog } from '../audit/audit-log.js';
import type { Keyring } from '../crypto/keyring.js';
import type { PgPool } from '../storage/postgres.js';
import { OrgIndexKeys } from '../vault/index-keys.js';
import { Vault } from '../vault/vault.js';
import { IdentityVerifier } from '../vault/verification.js';
import { PgVerificationStore } from '../vault/verification-store.js';

/** The staff token verifier the config describes, or undefined when staff JWTs are off. */
function staffVerifier(cfg: Config): StaffTokenVerifier | undefined {
  const { staffIssuer, staffAudience, staffJwksUrl, staffJwksFile, organizationClaim, roleClaim } = cfg.auth;
  if (staffIssuer === '') return undefined;
  if ((staffJwksUrl === '') === (staffJwksFile === '')) {
    throw new CareloopError('CONFIG_INVALID', 'auth.staffIssuer needs exactly one of auth.staffJwksUrl and auth.staffJwksFile');
  }
  let jwks: { url: string } | JSONWebKeySet;
  if (staffJwksUrl !== '') jwks = { url: staffJwksUrl };
  else {
    try { jwks = JSON.parse(readFileSync(staffJwksFile, 'utf8')) as JSONWebKeySet; } catch (err) {
      throw new CareloopError('CONFIG_INVALID', `auth.staffJwksFile ${staffJwksFile} is not a readable JWKS: ${(err as Error).message}`);
    }
  }
  return new StaffTokenVerifier({ issuer: staffIssuer, audience: staffAudience, jwks, organizationClaim, roleClaim });
}

/** The PHI and access-control services of one process, made from its pool and keyring. */
export interface Security {
  audit: AuditLog;
  vault: Vault;
  apiKeys: ApiKeys;
  authenticator: Authenticator;
  verifier: IdentityVerifier;
  /** The organisations' data keys (sealing beside the vault: the care plan's medication text). */
  keyring: Keyring;
}

export function createSecurity(cfg: Config, pool: PgPool, keyring: Keyring, vaultPool: PgPool = pool): Security {
  // The audit chain is written in the same transactions as the vault's changes, so it lives in the vault database.
  const audit = new AuditLog(vaultPool);
  const indexKeys = new OrgIndexKeys(vaultPool, keyring, cfg.crypto.keyCacheTtl);
  const vault = new Vault(vaultPool, keyring, indexKeys, audit);
  const apiKeys = new ApiKeys(pool);
  const staff = staffVerifier(cfg);
  const verifier = new IdentityVerifier(vault, new PgVerificationStore(vaultPool), indexKeys, audit, {
    limits: { maxFailures: cfg.verification.maxFailures, lockoutMs: cfg.verification.lockout, codeTtlMs: cfg.verification.codeTtl },
  });
  return { audit, vault, apiKeys, verifier, keyring, authenticator: new Authenticator({ apiKeys, ...(staff ? { staff } : {}) }) };
}
