import type { Config } from '../../platform/config/config.js';

/** The built-in issuer's URL: http on services.host and idp.port (the local stack's). */
export function idpIssuerUrl(cfg: Config): string {
  return `http://${cfg.services.host}:${cfg.idp.port}`;
}

/** The origins the portal is served from (the API's): the callback and CORS of the portal client. */
export function portalOrigins(cfg: Config): string[] {
  const scheme = cfg.services.tlsCertFile !== '' && cfg.services.tlsKeyFile !== '' ? 'https' : 'http';
  const hosts = new Set([cfg.services.host, ...(cfg.services.host === '127.0.0.1' ? ['localhost'] : [])]);
  return [...hosts].map((h) => `${scheme}://${h}:${cfg.services.apiPort}`);
}
