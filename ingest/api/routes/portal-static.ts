import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface PortalStaticOptions {
  /** The built portal (vite build output): index.html and assets/. */
  dir: string;
  /** What the portal reads at start: the OIDC issuer and its client id (empty issuer: API keys only). */
  config: { issuer: string; clientId: string; audience: string };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8', '.map': 'application/json; charset=utf-8',
};

function csp(issuer: string): string {
  const connect = issuer === '' ? "'self'" : `'self' ${new URL(issuer).origin}`;
  return `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src ${connect}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'`;
}

/**
 * Serves the portal under /portal: hashed assets with a year's immutable cache, every other path
 * (the single-page app's routes) the index page, never cached; /portal/config.json names the issuer.
 * Files are read from the build directory only: a path that leaves it is a 404.
 */
export function registerPortalStatic(app: FastifyInstance, opts: PortalStaticOptions): void {
  const root = normalize(opts.dir);
  const policy = csp(opts.config.issuer);
  const hidden = { config: { public: true }, schema: { hide: true } } as const;

  async function file(reply: FastifyReply, rel: string, cache: string): Promise<FastifyReply> {
    const path = normalize(join(root, rel));
    if (path !== root && !path.startsWith(root + sep)) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
    const s = await stat(path).catch(() => null);
    if (s === null || !s.isFile()) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
    return reply.type(TYPES[extname(path)] ?? 'application/octet-stream').header('cache-control', cache).header('x-content-type-options', 'nosniff').send(await readFile(path));
  }

  async function index(reply: FastifyReply): Promise<FastifyReply> {
    const html = await readFile(join(root, 'index.html')).catch(() => null);
    if (html === null) return reply.code(503).type('text/plain; charset=utf-8').send('the portal is not built: run npm run build');
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').header('content-security-policy', policy).header('x-frame-options', 'DENY').header('referrer-policy', 'no-referrer').send(html);
  }

  app.get('/portal', hidden, async (_req, reply) => reply.redirect('/portal/'));
  app.get('/portal/config.json', hidden, async (_req, reply) => reply.header('cache-control', 'no-cache').send(opts.config));
  app.get('/portal/*', hidden, async (req, reply) => {
    const rel = decodeURIComponent((req.params as { '*': string })['*']);
    if (rel.startsWith('assets/')) return file(reply, rel, 'public, max-age=31536000, immutable');
    // A file at the top (favicon.svg) is served as is; a path without an extension is a page of the app.
    if (extname(rel) !== '') return file(reply, rel, 'public, max-age=3600');
    return index(reply);
  });
}
