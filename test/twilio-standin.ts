import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import twilio from 'twilio';
import { repoRoot } from '../platform/paths.js';

/*
 * A local server that speaks Twilio's Messages API, for tests and the benchmark. Every request is
 * checked against Twilio's own OpenAPI description (path, method, path parameters, form fields and
 * their types, Basic auth), which is read at start from the reference beside the repository and
 * never copied into it. Status callbacks and inbound webhooks are signed the way Twilio signs them.
 */

interface ParamSchema { type?: string; format?: string; pattern?: string; minLength?: number; maxLength?: number; enum?: string[]; items?: ParamSchema; $ref?: string }
interface Operation { pathParams: Map<string, ParamSchema>; form: Map<string, ParamSchema>; required: string[] }
interface Route { template: string; regex: RegExp; names: string[]; ops: Map<string, Operation> }

export const TWILIO_OPENAPI = join(repoRoot(), '..', 'shared', 'reference', 'twilio', 'twilio_api_v2010.json');

/** One create request as received, with the instant it arrived (ms, monotonic clock). */
export interface ReceivedMessage { at: number; sid: string; accountSid: string; from: string | null; messagingServiceSid: string | null; to: string; body: string; params: Record<string, string> }

/** What the stand-in answers instead of 201: a Twilio error body with its code and HTTP status. */
export interface TwilioFault { status: number; code: number; message: string }

export const FAULTS = {
  invalidNumber: { status: 400, code: 21211, message: "The 'To' number is not a valid phone number." },
  unsubscribed: { status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' },
  tooManyRequests: { status: 429, code: 20429, message: 'Too Many Requests' },
  serviceUnavailable: { status: 503, code: 20503, message: 'Service Unavailable' },
} as const satisfies Record<string, TwilioFault>;

function loadRoutes(file: string): { routes: Route[]; resolve: (s: ParamSchema) => ParamSchema } {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, ParamSchema> } };
  const resolve = (s: ParamSchema): ParamSchema => (s.$ref !== undefined ? doc.components.schemas[s.$ref.replace('#/components/schemas/', '')] ?? {} : s);
  const routes: Route[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    const names: string[] = [];
    const regex = new RegExp('^' + template.replace(/[.]/g, '\\.').replace(/\{([^}]+)\}/g, (_m, n: string) => { names.push(n); return '([^/]+)'; }) + '$');
    const ops = new Map<string, Operation>();
    for (const method of ['get', 'post', 'delete']) {
      const op = item[method] as { parameters?: Array<{ name: string; in: string; schema: ParamSchema }>; requestBody?: { content: Record<string, { schema: { properties?: Record<string, ParamSchema>; required?: string[] } }> } } | undefined;
      if (op === undefined) continue;
      const form = op.requestBody?.content['application/x-www-form-urlencoded']?.schema;
      ops.set(method.toUpperCase(), {
        pathParams: new Map((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => [p.name, p.schema])),
        form: new Map(Object.entries(form?.properties ?? {})), required: form?.required ?? [],
      });
    }
    routes.push({ template, regex, names, ops });
  }
  return { routes, resolve };
}

/** Checks one value against its schema; returns what is wrong, or null. */
function checkValue(name: string, value: string, s: ParamSchema): string | null {
  if (s.type === 'integer' && !/^-?\d+$/.test(value)) return `${name} must be an integer`;
  if (s.type === 'number' && Number.isNaN(Number(value))) return `${name} must be a number`;
  if (s.type === 'boolean' && value !== 'true' && value !== 'false') return `${name} must be true or false`;
  if (s.enum !== undefined && !s.enum.includes(value)) return `${name} must be one of ${s.enum.join(', ')}`;
  if (s.minLength !== undefined && value.length < s.minLength) return `${name} is too short`;
  if (s.maxLength !== undefined && value.length > s.maxLength) return `${name} is too long`;
  if (s.pattern !== undefined && !new RegExp(s.pattern).test(value)) return `${name} does not match ${s.pattern}`;
  if (s.format === 'uri') { try { new URL(value); } catch { return `${name} must be a URI`; } }
  if (s.format === 'phone-number' && !/^\+?[0-9]{3,15}$/.test(value)) return `${name} must be a phone number`;
  return null;
}

export interface StandInOptions {
  /** The auth token of every account (Basic auth password, and the key that signs callbacks). */
  authToken: string;
  /** Status callbacks: 'sent' then 'delivered' (or 'undelivered' with 30003 for undeliverable numbers). */
  callbacks?: boolean;
  /** Where a callback URL is reached from here, as a load balancer would forward it; the signature stays over the URL itself. */
  forward?: (publicUrl: string) => string;
}

export class TwilioStandIn {
  readonly received: ReceivedMessage[] = [];
  /** Requests the OpenAPI description (or Twilio's own rules) refused: a test expects none. */
  readonly violations: string[] = [];
  /** Per destination number: the fault every create to it answers. */
  readonly faultsByNumber = new Map<string, TwilioFault>();
  /** Destinations whose messages are accepted and then reported undelivered (30003). */
  readonly undeliverable = new Set<string>();
  private pendingFaults: TwilioFault[] = [];
  private readonly routes: Route[];
  private readonly resolve: (s: ParamSchema) => ParamSchema;
  /** Route and path values per request path, a pure function of the path, found once (a scan of ~200 regexes cost 14 % of the stand-in); parameters are still checked per request. */
  private readonly pathChecks = new Map<string, { route: Route; op: Map<string, Operation>; values: Record<string, string> } | null>();
  private sids = { pool: Buffer.alloc(0), at: 0 };
  private server: Server | null = null;
  private callbacksInFlight = new Set<Promise<void>>();
  url = '';

  constructor(private readonly opts: StandInOptions) {
    ({ routes: this.routes, resolve: this.resolve } = loadRoutes(TWILIO_OPENAPI));
  }

  /** The next n creates answer this fault (a 429 storm, an outage), whatever the number. */
  failNext(n: number, fault: TwilioFault): void {
    for (let i = 0; i < n; i++) this.pendingFaults.push(fault);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => { void this.onRequest(req, res); });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await Promise.all(this.callbacksInFlight);
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server === null ? r() : this.server.close(() => r())));
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now(); // arrival, before the body is read
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '').split('?')[0] ?? '';
    const checked = this.checkPath(path);
    const op = checked?.op.get(req.method ?? '');
    if (checked === null || op === undefined) return this.refuse(res, 404, 20404, `${req.method ?? ''} ${path} is not in Twilio's API description`);
    const { route, values: pathValues } = checked;
    for (const [n, s] of op.pathParams) {
      const problem = checkValue(n, pathValues[n] ?? '', s);
      if (problem !== null) return this.refuse(res, 400, 20001, problem);
    }
    const accountSid = pathValues['AccountSid'] ?? '';
    const auth = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
    if (auth !== `${accountSid}:${this.opts.authToken}`) return this.refuse(res, 401, 20003, 'Authenticate');
    if (route.template.endsWith('/Messages.json') && req.method === 'POST') {
      if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return this.refuse(res, 400, 20001, 'a form body is required');
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
      const problem = this.checkForm(op, params);
      if (problem !== null) return this.refuse(res, 400, 21601, problem);
      return this.create(res, at, accountSid, params);
    }
    return this.refuse(res, 405, 20004, 'only message creation is served here');
  }

  private checkPath(path: string): { route: Route; op: Map<string, Operation>; values: Record<string, string> } | null {
    const known = this.pathChecks.get(path);
    if (known !== undefined) return known;
    const route = this.routes.find((r) => r.regex.test(path));
    const match = route?.regex.exec(path) ?? [];
    const found = route === undefined ? null : { route, op: route.ops, values: Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match[i + 1] ?? '')])) };
    if (this.pathChecks.size < 10_000) this.pathChecks.set(path, found);
    return found;
  }

  /** A new message SID: 32 random hex digits, cut from a pool drawn 512 at a time (one draw per SID cost 8 % of the stand-in). */
  private newSid(): string {
    if (this.sids.at + 16 > this.sids.pool.length) this.sids = { pool: randomBytes(16 * 512), at: 0 };
    const hex = this.sids.pool.toString('hex', this.sids.at, this.sids.at + 16);
    this.sids.at += 16;
    return `SM${hex}`;
  }

  private checkForm(op: Operation, params: Record<string, string>): string | null {
    for (const name of op.required) if (params[name] === undefined) return `${name} is required`;
    for (const [name, value] of Object.entries(params)) {
      const s = op.form.get(name);
      if (s === undefined) return `${name} is not a parameter of this operation`;
      const problem = checkValue(name, value, this.resolve(s.type === 'array' ? s.items ?? {} : s));
      if (problem !== null) return problem;
    }
    // Twilio's own rules beyond the schema: one sender, and some content.
    if ((params['From'] === undefined) === (params['MessagingServiceSid'] === undefined)) return 'exactly one of From and MessagingServiceSid is required (21603/21704)';
    if (params['Body'] === undefined && params['MediaUrl'] === undefined && params['ContentSid'] === undefined) return 'a Body is required (21602)';
    if (params['ValidityPeriod'] !== undefined && (Number(params['ValidityPeriod']) < 1 || Number(params['ValidityPeriod']) > 36_000)) return 'ValidityPeriod must be 1 to 36000';
    return null;
  }

  private create(res: ServerResponse, at: number, accountSid: string, params: Record<string, string>): void {
    const to = params['To'] ?? '';
    const fault = this.pendingFaults.shift() ?? this.faultsByNumber.get(to);
    if (fault !== undefined) return this.fail(res, fault);
    const sid = this.newSid();
    const from = params['From'] ?? null;
    const msvc = params['MessagingServiceSid'] ?? null;
    this.received.push({ at, sid, accountSid, from, messagingServiceSid: msvc, to, body: params['Body'] ?? '', params });
    const now = new Date().toUTCString().replace('GMT', '+0000');
    const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`;
    const body = {
      account_sid: accountSid, api_version: '2010-04-01', body: params['Body'] ?? '', date_created: now, date_sent: null, date_updated: now,
      direction: 'outbound-api', error_code: null, error_message: null, from, messaging_service_sid: msvc, num_media: '0', num_segments: '1',
      price: null, price_unit: 'USD', sid, status: 'queued', subresource_uris: { media: uri.replace('.json', '/Media.json') }, to, uri,
    };
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (this.opts.callbacks === true && params['StatusCallback'] !== undefined) this.track(this.callback(params['StatusCallback'], accountSid, sid, from ?? '', to));
  }

  private track(p: Promise<void>): void {
    this.callbacksInFlight.add(p);
    void p.finally(() => this.callbacksInFlight.delete(p));
  }

  private async callback(url: string, accountSid: string, sid: string, from: string, to: string): Promise<void> {
    const final: Record<string, string> = this.undeliverable.has(to) ? { MessageStatus: 'undelivered', ErrorCode: '30003' } : { MessageStatus: 'delivered' };
    for (const extra of [{ MessageStatus: 'sent' }, final] as Array<Record<string, string>>) {
      await new Promise((r) => setTimeout(r, 20));
      await postSigned(this.opts.forward?.(url) ?? url, this.opts.authToken, { AccountSid: accountSid, MessageSid: sid, SmsSid: sid, From: from, To: to, ApiVersion: '2010-04-01', ...extra }, { signedUrl: url }).catch(() => undefined);
    }
  }

  private fail(res: ServerResponse, f: TwilioFault): void {
    res.writeHead(f.status, { 'content-type': 'application/json' }).end(JSON.stringify({ code: f.code, message: f.message, more_info: `https://www.twilio.com/docs/errors/${f.code}`, status: f.status }));
  }

  private refuse(res: ServerResponse, status: number, code: number, why: string): void {
    this.violations.push(why);
    this.fail(res, { status, code, message: why });
  }
}

/** Posts a form the way Twilio posts webhooks: X-Twilio-Signature over the (public) URL and the fields. */
export async function postSigned(url: string, authToken: string, params: Record<string, string>, opts: { signedUrl?: string; signature?: string } = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': opts.signature ?? twilio.getExpectedTwilioSignature(authToken, opts.signedUrl ?? url, params) },
    body: new URLSearchParams(params).toString(),
  });
}

/** A Twilio-looking SID: two letters and 32 hex digits. */
export function fakeSid(prefix: 'AC' | 'SM' | 'MG'): string {
  return prefix + randomBytes(16).toString('hex');
}
