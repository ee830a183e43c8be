import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import Provider from 'oidc-provider';
import type { AuditLog } from '../../platform/audit/audit-log.js';
import type { StaffAccounts } from '../../platform/auth/staff-accounts.js';
import type { Logger } from '../../platform/log.js';

/** The portal's OAuth client: a public client (no secret) using the authorization code with PKCE. */
export const PORTAL_CLIENT_ID = 'careloop-portal';
/** The resource indicator of the admin API; its access tokens are JWTs for auth.staffAudience. */
export const API_RESOURCE = 'urn:careloop:admin-api';

export interface IssuerOptions {
  issuer: string;
  /** Where the portal is served: its callback and sign-out pages are under it. */
  portalOrigins: readonly string[];
  audience: string;
  organizationClaim: string;
  roleClaim: string;
  accounts: StaffAccounts;
  audit?: AuditLog;
  /** The file holding the signing key and cookie secret (created on first start). */
  keysFile: string;
  log: Logger;
  accessTokenTtlSec?: number;
}

interface KeysFile { jwk: Record<string, unknown>; cookieKey: string }

function loadKeys(file: string): KeysFile {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as KeysFile;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keys: KeysFile = { jwk: { ...privateKey.export({ format: 'jwk' }), kid: `k${randomBytes(6).toString('hex')}`, use: 'sig', alg: 'RS256' }, cookieKey: randomBytes(32).toString('base64url') };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'";

function loginPage(uid: string, error: string | null, email: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Careloop</title>
<style>
  :root { color-scheme: light; --accent: #0f766e; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #f1f5f9; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #0f172a; }
  main { width: min(380px, calc(100vw - 32px)); background: #fff; border-radius: 12px; box-shadow: 0 1px 3px rgba(15,23,42,.12), 0 8px 24px rgba(15,23,42,.06); padding: 32px; box-sizing: border-box; }
  h1 { font-size: 1.35rem; margin: 0 0 4px; } p.sub { margin: 0 0 24px; color: #475569; font-size: .95rem; }
  label { display: block; font-weight: 600; font-size: .9rem; margin: 16px 0 6px; }
  input { width: 100%; box-sizing: border-box; padding: 10px 12px; border: 1px solid #cbd5e1; border-radius: 8px; font: inherit; }
  input:focus { outline: 3px solid #99f6e4; border-color: var(--accent); }
  button { margin-top: 24px; width: 100%; padding: 11px; border: 0; border-radius: 8px; background: var(--accent); color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
  button:focus-visible { outline: 3px solid #0f172a; outline-offset: 2px; }
  .error { background: #fef2f2; color: #991b1b; border: 1px solid #fecaca; padding: 10px 12px; border-radius: 8px; margin-bottom: 8px; }
  .brand { color: var(--accent); font-weight: 700; letter-spacing: .02em; margin-bottom: 16px; }
</style></head>
<body><main>
  <div class="brand">Careloop</div>
  <h1>Sign in to the portal</h1>
  <p class="sub">Staff of your organisation sign in with their e-mail address.</p>
  ${error === null ? '' : `<div class="error" role="alert">${escapeHtml(error)}</div>`}
  <form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="on">
    <label for="email">E-mail</label>
    <input id="email" name="email" type="email" required autofocus autocomplete="username" value="${escapeHtml(email)}">
    <label for="password">Password</label>
    <input id="password" name="password" type="password" required autocomplete="current-password">
    <button type="submit">Sign in</button>
  </form>
</main></body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += (chunk as Buffer).toString('utf8');
    if (body.length > 16_384) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAGE_CSP, 'cache-control': 'no-store', 'x-frame-options': 'DENY' });
  res.end(html);
}

/**
 * The built-in OpenID Connect issuer (oidc-provider) of the local stack: staff accounts from
 * PostgreSQL (auth.staff_accounts), the portal as a public client with the authorization code and
 * PKCE, JWT access tokens for the admin API carrying the organisation and role claims its staff-token
 * verifier reads. Its own login page; consent is implied for the first-party portal.
 */
export function createIssuer(opts: IssuerOptions): { provider: Provider; server: Server } {
  const keys = loadKeys(opts.keysFile);
  const redirectUris = opts.portalOrigins.map((o) => `${o}/portal/callback`);
  const portalOrigins = new Set(opts.portalOrigins);
  const provider = new Provider(opts.issuer, {
    clients: [{
      client_id: PORTAL_CLIENT_ID, token_endpoint_auth_method: 'none', application_type: 'web',
      redirect_uris: redirectUris, post_logout_redirect_uris: opts.portalOrigins.map((o) => `${o}/portal/`),
      grant_types: ['authorization_code'], response_types: ['code'],
    }],
    jwks: { keys: [keys.jwk] },
    cookies: { keys: [keys.cookieKey] },
    pkce: { required: () => true },
    scopes: ['openid', 'profile', 'email', 'api'],
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
    conformIdTokenClaims: false,
    ttl: { AccessToken: opts.accessTokenTtlSec ?? 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 900, Session: 8 * 3600, Grant: 8 * 3600 },
    clientBasedCORS: (_ctx: unknown, origin: string) => portalOrigins.has(origin),
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== API_RESOURCE) throw new Error('unknown resource');
          return { scope: 'api', audience: opts.audience, accessTokenTTL: opts.accessTokenTtlSec ?? 3600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx: unknown, sub: string) {
      const a = await opts.accounts.get(sub);
      if (a === null) return undefined;
      return { accountId: a.id, claims: async () => ({ sub: a.id, name: a.name, email: a.email }) };
    },
    // The admin API's verifier reads the organisation and the role from the access token itself.
    async extraTokenClaims(_ctx: unknown, token: { accountId?: string; kind?: string }) {
      if (token.accountId === undefined) return undefined;
      const a = await opts.accounts.get(token.accountId);
      if (a === null) return undefined;
      return { [opts.organizationClaim]: a.organizationId, [opts.roleClaim]: a.role, name: a.name, email: a.email, ...(a.partnerId === null ? {} : { partner_id: a.partnerId }) };
    },
    renderError(ctx: { type: string; body: string }, out: Record<string, string>) {
      ctx.type = 'html';
      ctx.body = `<!doctype html><meta charset="utf-8"><title>Sign-in error</title><main style="font-family:system-ui;max-width:480px;margin:64px auto"><h1>Sign-in could not continue</h1><p>${escapeHtml(out.error_description ?? out.error ?? 'error')}</p><p><a href="/">Back</a></p></main>`;
    },
  });
  provider.on('server_error', (...args: unknown[]) => { opts.log.warn({ err: (args[1] as Error | undefined)?.message }, 'identity provider error'); });
  const callback = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET' && path === `/interaction/${details.uid}`) {
      if (details.prompt.name === 'login') return send(res, 200, loginPage(details.uid, null, ''));
      // Consent: the portal is the product's own client, so its scopes are granted without asking.
      const accountId = details.session?.accountId;
      const clientId = String(details.params.client_id);
      if (accountId === undefined) return send(res, 400, loginPage(details.uid, 'Your session has ended; sign in again.', ''));
      const grant = (details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId });
      const d = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
      if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
      for (const [resource, scopes] of Object.entries(d.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    if (req.method === 'POST' && path === `/interaction/${details.uid}/login`) {
      const form = await readForm(req);
      const email = form.get('email') ?? '';
      const found = await opts.accounts.authenticate(email, form.get('password') ?? '');
      if (found === null) {
        opts.log.info({ outcome: 'failure' }, 'staff sign-in refused');
        return send(res, 401, loginPage(details.uid, 'The e-mail address or the password is not right.', email));
      }
      await opts.audit?.record({ organizationId: found.organizationId, actor: { kind: 'staff', id: found.id, service: 'idp' }, action: 'staff.sign_in', patientId: null, purpose: 'security', outcome: 'success' });
      return provider.interactionFinished(req, res, { login: { accountId: found.id } }, { mergeWithLastSubmission: false });
    }
    send(res, 404, '<!doctype html><title>Not found</title><p>Not found</p>');
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (!path.startsWith('/interaction/')) { callback(req, res); return; }
    interaction(req, res, path).catch((err: unknown) => {
      opts.log.warn({ err: (err as Error).message }, 'sign-in interaction failed');
      if (!res.headersSent) send(res, 400, `<!doctype html><meta charset="utf-8"><title>Sign-in error</title><main style="font-family:system-ui;max-width:480px;margin:64px auto"><h1>This sign-in has expired</h1><p>Open the portal again to start over.</p></main>`);
    });
  });
  return { provider, server };
}
