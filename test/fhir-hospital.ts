import { createPublicKey, createVerify, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A hospital's FHIR R4 server for tests: in memory, speaking the REST API for the interactions
 * Careloop uses (capabilities, create and conditional create with If-None-Exist, read, update with
 * If-Match, search, OperationOutcome errors), with bearer or SMART backend-services auth. It refuses
 * on demand: a queued fault answers the next matching calls with a status, or never answers.
 */

export type Resource = Record<string, unknown> & { resourceType: string; id?: string };

export interface Fault {
  method?: string;
  type?: string;
  /** An HTTP status with an OperationOutcome, or 'timeout': the request is held and never answered. */
  answer: number | 'timeout';
  issueCode?: string;
  /** How many matching calls it applies to. */
  times: number;
  /** Applies after the call has been carried out (the hospital did the work, its answer is lost). */
  afterWork?: boolean;
}

export interface HospitalOptions {
  bearerToken?: string;
  smart?: { clientId: string; publicKeyPem: string };
}

interface Stored { resource: Resource; version: number }

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export function operationOutcome(code: string, text: string, severity = 'error'): Resource {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics: text }] };
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

export class FhirHospital {
  private server: Server | undefined;
  private readonly store = new Map<string, Map<string, Stored>>();
  private readonly tokens = new Set<string>();
  private readonly held: ServerResponse[] = [];
  readonly faults: Fault[] = [];
  /** Every call, "METHOD /Type[/id]", for tests to count. */
  readonly calls: string[] = [];
  baseUrl = '';

  constructor(private readonly opts: HospitalOptions = {}) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => { void this.handle(req, res); });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/fhir`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    for (const r of this.held) r.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Puts a resource in place as the hospital's own (no call counted); returns it with its id. */
  seed(r: Resource): Resource {
    const id = r.id ?? randomUUID();
    const stored = { ...r, id, meta: { versionId: '1', lastUpdated: new Date().toISOString() } };
    this.table(r.resourceType).set(id, { resource: stored, version: 1 });
    return stored;
  }

  get(type: string, id: string): Resource | undefined {
    return this.table(type).get(id)?.resource;
  }

  all(type: string): Resource[] {
    return [...this.table(type).values()].map((s) => s.resource);
  }

  /** Changes a resource as the hospital's staff would (a new version), e.g. marking a no-show. */
  change(type: string, id: string, patch: Record<string, unknown>): void {
    const s = this.table(type).get(id);
    if (s === undefined) throw new Error(`${type}/${id} is not stored`);
    this.write(type, id, { ...s.resource, ...patch } as Resource);
  }

  private table(type: string): Map<string, Stored> {
    let t = this.store.get(type);
    if (t === undefined) { t = new Map(); this.store.set(type, t); }
    return t;
  }

  private write(type: string, id: string, r: Resource): Resource {
    const prev = this.table(type).get(id);
    const version = (prev?.version ?? 0) + 1;
    const resource = { ...r, resourceType: type, id, meta: { versionId: String(version), lastUpdated: new Date().toISOString() } };
    this.table(type).set(id, { resource, version });
    return resource;
  }

  private send(res: ServerResponse, status: number, body: Resource, headers: Record<string, string> = {}): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': FHIR_JSON, ...headers });
    res.end(JSON.stringify(body));
  }

  private fault(method: string, type: string, afterWork: boolean): Fault | undefined {
    const f = this.faults.find((x) => x.times > 0 && (x.method ?? method) === method && (x.type ?? type) === type && (x.afterWork === true) === afterWork);
    if (f !== undefined) f.times--;
    return f;
  }

  private answerFault(res: ServerResponse, f: Fault): void {
    if (f.answer === 'timeout') { this.held.push(res); return; }
    this.send(res, f.answer, operationOutcome(f.issueCode ?? (f.answer >= 500 ? 'transient' : 'processing'), `refused on purpose (${f.answer})`));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (url.pathname === '/auth/token') return this.token(res, body);
    if (url.pathname === '/fhir/.well-known/smart-configuration') {
      return this.send(res, 200, { resourceType: 'smart-configuration', token_endpoint: `${this.baseUrl.replace(/\/fhir$/, '')}/auth/token`, grant_types_supported: ['client_credentials'], token_endpoint_auth_methods_supported: ['private_key_jwt'] } as unknown as Resource);
    }
    if (!url.pathname.startsWith('/fhir')) return this.send(res, 404, operationOutcome('not-found', 'no such path'));
    const [type = '', id] = url.pathname.slice('/fhir/'.length).split('/');
    const method = req.method ?? 'GET';
    this.calls.push(`${method} /${type}${id !== undefined ? `/${id}` : ''}`);
    if (type === 'metadata') return this.send(res, 200, { resourceType: 'CapabilityStatement', status: 'active', kind: 'instance', fhirVersion: '4.0.1', format: ['json'], rest: [{ mode: 'server' }] });
    if (!this.authorized(req)) return this.send(res, 401, operationOutcome('login', 'a valid bearer token is required'), { 'www-authenticate': 'Bearer' });
    const before = this.fault(method, type, false);
    if (before !== undefined) return this.answerFault(res, before);
    const parsed = body === '' ? undefined : (JSON.parse(body) as Resource);
    const [status, out, headers] = this.interact(method, type, id, url.searchParams, parsed, req.headers);
    const after = this.fault(method, type, true);
    if (after !== undefined) return this.answerFault(res, after);
    this.send(res, status, out, headers);
  }

  private interact(method: string, type: string, id: string | undefined, params: URLSearchParams, body: Resource | undefined, headers: IncomingMessage['headers']): [number, Resource, Record<string, string>] {
    const loc = (r: Resource): Record<string, string> => ({ location: `${this.baseUrl}/${type}/${r.id ?? ''}/_history/${(r['meta'] as { versionId: string }).versionId}`, etag: `W/"${(r['meta'] as { versionId: string }).versionId}"` });
    if (method === 'GET' && id === undefined) return [200, this.search(type, params), {}];
    if (method === 'GET' && id !== undefined) {
      const s = this.table(type).get(id);
      return s === undefined ? [404, operationOutcome('not-found', `${type}/${id} is not known`), {}] : [200, s.resource, { etag: `W/"${s.version}"` }];
    }
    if (body === undefined || body.resourceType !== type) return [400, operationOutcome('structure', `the body must be a ${type}`), {}];
    if (method === 'POST' && id === undefined) {
      const cond = headers['if-none-exist'];
      if (typeof cond === 'string') {
        const found = this.matching(type, new URLSearchParams(cond));
        if (found.length > 1) return [412, operationOutcome('duplicate', 'If-None-Exist matches more than one resource'), {}];
        if (found[0] !== undefined) return [200, found[0], loc(found[0])];
      }
      const refusal = this.businessRules(type, body);
      if (refusal !== null) return refusal;
      const created = this.write(type, randomUUID(), body);
      return [201, created, loc(created)];
    }
    if (method === 'PUT' && id !== undefined) {
      if (body.id !== undefined && body.id !== id) return [400, operationOutcome('invalid', 'the body id differs from the URL id'), {}];
      const prev = this.table(type).get(id);
      const ifMatch = headers['if-match'];
      if (typeof ifMatch === 'string' && prev !== undefined && ifMatch !== `W/"${prev.version}"`) return [412, operationOutcome('conflict', `version ${ifMatch} is not the current one`), {}];
      const saved = this.write(type, id, body);
      return [prev === undefined ? 201 : 200, saved, loc(saved)];
    }
    return [405, operationOutcome('not-supported', `${method} is not supported here`), {}];
  }

  /** The hospital's own rule: an Appointment on a slot that is not free is refused with 409. */
  private businessRules(type: string, body: Resource): [number, Resource, Record<string, string>] | null {
    if (type !== 'Appointment') return null;
    for (const s of (body['slot'] as Array<{ reference?: string }> | undefined) ?? []) {
      const slot = this.get('Slot', (s.reference ?? '').replace(/^Slot\//, ''));
      if (slot === undefined) return [422, operationOutcome('business-rule', `${s.reference ?? '?'} does not exist`), {}];
      if (slot['status'] !== 'free') return [409, operationOutcome('conflict', `${s.reference ?? '?'} is not free`), {}];
    }
    return null;
  }

  private matching(type: string, params: URLSearchParams): Resource[] {
    return [...this.table(type).values()].map((s) => s.resource).filter((r) => [...params.entries()].every(([k, v]) => k.startsWith('_') && k !== '_id' ? true : matches(r, k, v)));
  }

  private search(type: string, params: URLSearchParams): Resource {
    const found = this.matching(type, params);
    const count = Number(params.get('_count') ?? 100);
    return {
      resourceType: 'Bundle', type: 'searchset', total: found.length,
      entry: found.slice(0, count).map((r) => ({ fullUrl: `${this.baseUrl}/${type}/${r.id ?? ''}`, resource: r, search: { mode: 'match' } })),
    };
  }

  private authorized(req: IncomingMessage): boolean {
    const auth = req.headers.authorization ?? '';
    if (this.opts.bearerToken !== undefined) return auth === `Bearer ${this.opts.bearerToken}`;
    if (this.opts.smart !== undefined) return this.tokens.has(auth.replace(/^Bearer /, ''));
    return true;
  }

  /** SMART backend services: client_credentials with a private_key_jwt assertion (RS384). */
  private token(res: ServerResponse, body: string): void {
    const form = new URLSearchParams(body);
    const smart = this.opts.smart;
    const fail = (why: string): void => { res.writeHead(400, { 'content-type': 'application/json' }); res.end(JSON.stringify({ error: 'invalid_client', error_description: why })); };
    if (smart === undefined) return fail('SMART is not enabled');
    if (form.get('grant_type') !== 'client_credentials') return fail('grant_type');
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return fail('client_assertion_type');
    const [h, p, sig] = (form.get('client_assertion') ?? '').split('.');
    if (h === undefined || p === undefined || sig === undefined) return fail('assertion');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string };
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { iss?: string; sub?: string; aud?: string; exp?: number; jti?: string };
    const ok = header.alg === 'RS384' && createVerify('RSA-SHA384').update(`${h}.${p}`).verify(createPublicKey(smart.publicKeyPem), Buffer.from(sig, 'base64url'));
    if (!ok) return fail('signature');
    if (claims.iss !== smart.clientId || claims.sub !== smart.clientId || claims.aud !== `${this.baseUrl.replace(/\/fhir$/, '')}/auth/token` || (claims.exp ?? 0) * 1000 < Date.now() || claims.jti === undefined) return fail('claims');
    const token = b64url(randomUUID());
    this.tokens.add(token);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: 300, scope: form.get('scope') ?? '' }));
  }
}

/** One search parameter against a resource: token (system|value), reference, date (eq/ge/le/gt/lt) or plain string. */
function matches(r: Resource, name: string, value: string): boolean {
  switch (name) {
    case '_id': return r.id === value;
    case 'identifier': {
      const [system, code] = value.includes('|') ? value.split('|') : [undefined, value];
      return ((r['identifier'] as Array<{ system?: string; value?: string }> | undefined) ?? []).some((i) => i.value === code && (system === undefined || system === '' || i.system === system));
    }
    case 'status': return value.split(',').includes(String(r['status']));
    case 'schedule': return (r['schedule'] as { reference?: string } | undefined)?.reference === value || (r['schedule'] as { reference?: string } | undefined)?.reference === `Schedule/${value}`;
    case 'slot': return ((r['slot'] as Array<{ reference?: string }> | undefined) ?? []).some((s) => s.reference === value || s.reference === `Slot/${value}`);
    case 'start': {
      const m = /^(eq|ge|le|gt|lt)?(.*)$/.exec(value);
      const at = Date.parse(String(r['start']));
      const want = Date.parse(m?.[2] ?? '');
      switch (m?.[1] ?? 'eq') {
        case 'ge': return at >= want;
        case 'le': return at <= want;
        case 'gt': return at > want;
        case 'lt': return at < want;
        default: return at === want;
      }
    }
    default: return String(r[name] ?? '') === value;
  }
}
