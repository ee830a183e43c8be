import { readFileSync } from 'node:fs';
import { SignJWT, importPKCS8 } from 'jose';
import { CareloopError } from '../../platform/errors.js';
import { outcomeOf, type PushNotification, type PushOutcome } from './notification.js';

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export interface ServiceAccount {
  projectId: string;
  clientEmail: string;
  privateKey: string;
  privateKeyId: string | null;
  tokenUri: string;
}

/** Reads a Google service-account JSON key file; a missing field fails at start with its name. */
export function readServiceAccount(file: string, tokenUrlOverride: string): ServiceAccount {
  const j = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  for (const k of ['project_id', 'client_email', 'private_key']) {
    if (typeof j[k] !== 'string') throw new CareloopError('CONFIG_INVALID', `push.fcmServiceAccountFile ${file} has no "${k}"`);
  }
  return {
    projectId: j['project_id'] as string, clientEmail: j['client_email'] as string, privateKey: j['private_key'] as string,
    privateKeyId: typeof j['private_key_id'] === 'string' ? j['private_key_id'] : null,
    tokenUri: tokenUrlOverride !== '' ? tokenUrlOverride : typeof j['token_uri'] === 'string' ? j['token_uri'] : GOOGLE_TOKEN_URL,
  };
}

/** FCM's error details name UNREGISTERED for a token that no longer exists. */
function unregistered(body: unknown): boolean {
  const details = (body as { error?: { details?: Array<{ errorCode?: unknown }> } } | null)?.error?.details ?? [];
  return details.some((d) => d.errorCode === 'UNREGISTERED');
}

/**
 * FCM HTTP v1 (projects.messages.send), called directly: an OAuth 2.0 access token from the
 * service-account JWT bearer grant (RFC 7523), cached until a minute before it expires.
 */
export class FcmSender {
  private token: { value: string; until: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(private readonly account: ServiceAccount, private readonly apiUrl: string, private readonly now: () => number = Date.now) {}

  private async fetchToken(): Promise<string> {
    const iat = Math.floor(this.now() / 1000);
    const key = await importPKCS8(this.account.privateKey, 'RS256');
    const assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(this.account.privateKeyId === null ? {} : { kid: this.account.privateKeyId }) })
      .setIssuer(this.account.clientEmail).setSubject(this.account.clientEmail).setAudience(this.account.tokenUri)
      .setIssuedAt(iat).setExpirationTime(iat + 3600).sign(key);
    const res = await fetch(this.account.tokenUri, {
      method: 'POST', signal: AbortSignal.timeout(10_000), headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
    });
    const body = await res.json().catch(() => null) as { access_token?: unknown; expires_in?: unknown } | null;
    if (!res.ok || typeof body?.access_token !== 'string') {
      throw new CareloopError('DEPENDENCY_UNAVAILABLE', `the FCM token endpoint answered ${res.status}`, { retryable: res.status >= 500 || res.status === 429 });
    }
    const ttl = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    this.token = { value: body.access_token, until: this.now() + Math.max(0, ttl - 60) * 1000 };
    return body.access_token;
  }

  /** One token request at a time; the others wait for it. */
  async accessToken(): Promise<string> {
    if (this.token !== null && this.now() < this.token.until) return this.token.value;
    this.pending ??= this.fetchToken().finally(() => { this.pending = null; });
    return this.pending;
  }

  async send(deviceToken: string, n: PushNotification): Promise<PushOutcome> {
    const message = {
      token: deviceToken,
      notification: { title: n.title, body: n.body },
      data: { url: n.url, tag: n.tag },
      android: { priority: 'HIGH', notification: { tag: n.tag } },
      apns: { headers: { 'apns-collapse-id': n.tag.slice(0, 64) } },
    };
    let res: Response;
    try {
      res = await fetch(`${this.apiUrl.replace(/\/$/, '')}/v1/projects/${encodeURIComponent(this.account.projectId)}/messages:send`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await this.accessToken()}` }, body: JSON.stringify({ message }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      if (err instanceof CareloopError) throw err;
      return { kind: 'failed', retryable: true, status: 0 };
    }
    if (res.status === 401) { this.token = null; return { kind: 'failed', retryable: true, status: 401 }; } // revoked early: the retry asks for a new token
    const body = res.ok ? null : await res.json().catch(() => null);
    return outcomeOf(res.status, unregistered(body));
  }
}
