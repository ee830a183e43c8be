// Sign-in: OpenID Connect authorization code with PKCE against the configured issuer, or an API key.
// The credential lives in sessionStorage only (gone when the tab closes).

export interface PortalConfig { issuer: string; clientId: string; audience: string }
export interface Credential { kind: 'oidc' | 'api_key'; token: string; expiresAt: number | null; name: string | null }

const CRED = 'careloop.portal.credential';
const PENDING = 'careloop.portal.pending';
export const API_RESOURCE = 'urn:careloop:admin-api';

const b64url = (bytes: ArrayBuffer | Uint8Array): string =>
  btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function randomString(bytes = 32): string {
  return b64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function loadConfig(): Promise<PortalConfig> {
  const res = await fetch('/portal/config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`the portal configuration did not load (HTTP ${res.status})`);
  return (await res.json()) as PortalConfig;
}

interface Discovery { authorization_endpoint: string; token_endpoint: string; end_session_endpoint?: string }
async function discover(issuer: string): Promise<Discovery> {
  const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`the sign-in service did not answer (HTTP ${res.status})`);
  return (await res.json()) as Discovery;
}

const redirectUri = (): string => `${location.origin}/portal/callback`;

export async function startSignIn(cfg: PortalConfig, returnTo: string): Promise<void> {
  const d = await discover(cfg.issuer);
  const verifier = randomString(48);
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const state = randomString(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  const q = new URLSearchParams({
    client_id: cfg.clientId, redirect_uri: redirectUri(), response_type: 'code', scope: 'openid profile email api',
    code_challenge: challenge, code_challenge_method: 'S256', state, resource: API_RESOURCE, prompt: 'login',
  });
  location.assign(`${d.authorization_endpoint}?${q.toString()}`);
}

/** Completes the sign-in on /portal/callback; returns where to go next. */
export async function finishSignIn(cfg: PortalConfig): Promise<string> {
  const params = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as { verifier: string; state: string; returnTo: string } | null;
  sessionStorage.removeItem(PENDING);
  if (params.get('error') !== null) throw new Error(params.get('error_description') ?? params.get('error') ?? 'sign-in failed');
  const code = params.get('code');
  if (pending === null || code === null || params.get('state') !== pending.state) throw new Error('this sign-in link is stale; sign in again');
  const d = await discover(cfg.issuer);
  const res = await fetch(d.token_endpoint, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri(), client_id: cfg.clientId, code_verifier: pending.verifier, resource: API_RESOURCE }),
  });
  const body = (await res.json()) as { access_token?: string; expires_in?: number; id_token?: string; error_description?: string; error?: string };
  if (!res.ok || body.access_token === undefined) throw new Error(body.error_description ?? body.error ?? `token request failed (HTTP ${res.status})`);
  let name: string | null = null;
  try { name = (JSON.parse(atob((body.id_token ?? '').split('.')[1]?.replace(/-/g, '+').replace(/_/g, '/') ?? '')) as { name?: string }).name ?? null; } catch { name = null; }
  save({ kind: 'oidc', token: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000, name });
  return pending.returnTo;
}

export function signInWithApiKey(key: string): void {
  save({ kind: 'api_key', token: key.trim(), expiresAt: null, name: null });
}

function save(c: Credential): void {
  sessionStorage.setItem(CRED, JSON.stringify(c));
}

export function credential(): Credential | null {
  const c = JSON.parse(sessionStorage.getItem(CRED) ?? 'null') as Credential | null;
  if (c !== null && c.expiresAt !== null && c.expiresAt < Date.now()) { sessionStorage.removeItem(CRED); return null; }
  return c;
}

export function signOut(): void {
  sessionStorage.removeItem(CRED);
}
