import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { SignJWT, jwtVerify, errors } from 'jose';
import type { Config } from '../../platform/config/config.js';
import { CareloopError } from '../../platform/errors.js';
import { repoRoot } from '../../platform/paths.js';
import type { SessionClaims } from './gateway.js';

const ISSUER = 'careloop';
const AUDIENCE = 'careloop:chat';

/** The HMAC secret of session tokens; development and test create one under the stack folder. */
export function sessionSecret(cfg: Config): Uint8Array {
  const decode = (text: string, where: string): Uint8Array => {
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length < 32) throw new CareloopError('CONFIG_INVALID', `${where} must be base64 of at least 32 bytes`);
    return key;
  };
  if (cfg.auth.sessionSecret !== '') return decode(cfg.auth.sessionSecret, 'auth.sessionSecret');
  if (cfg.auth.sessionSecretFile === '' && cfg.env === 'production') throw new CareloopError('CONFIG_INVALID', 'production needs auth.sessionSecret or auth.sessionSecretFile');
  const file = cfg.auth.sessionSecretFile !== '' ? cfg.auth.sessionSecretFile : join(repoRoot(), cfg.stack.dir, 'session.key');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    try { writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' }); } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return decode(readFileSync(file, 'utf8'), `session secret file ${file}`);
}

/** A signed, expiring token bound to one organisation and one pseudonymous patient (JWT, HS256). */
export async function issueSessionToken(claims: SessionClaims, secret: Uint8Array, ttlMs: number, now: number = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  return new SignJWT({ org: claims.organizationId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.patientId).setIssuer(ISSUER).setAudience(AUDIENCE)
    .setIssuedAt(iat).setExpirationTime(iat + Math.ceil(ttlMs / 1000))
    .sign(secret);
}

export async function verifySessionToken(token: string, secret: Uint8Array, now: number = Date.now()): Promise<SessionClaims> {
  try {
    const { payload } = await jwtVerify(token, secret, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], currentDate: new Date(now) });
    if (typeof payload.sub !== 'string' || typeof payload['org'] !== 'string') throw new CareloopError('UNAUTHENTICATED', 'session token lacks its patient or organisation');
    return { organizationId: payload['org'], patientId: payload.sub };
  } catch (err) {
    if (err instanceof CareloopError) throw err;
    if (err instanceof errors.JWTExpired) throw new CareloopError('UNAUTHENTICATED', 'session token has expired; verify again to get a new one');
    throw new CareloopError('UNAUTHENTICATED', 'session token is not valid');
  }
}
