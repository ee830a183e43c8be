import { createECDH, createDecipheriv, createHmac, createPublicKey, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwtVerify, type JWTPayload } from 'jose';

const b64url = (b: Buffer): string => b.toString('base64url');

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

function hmac(key: Buffer, data: Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/**
 * RFC 8291 (Message Encryption for Web Push) over RFC 8188 aes128gcm, with the user agent's keys:
 * the header (salt, record size, the sender's ephemeral public key), ECDH, the two HKDF steps, then
 * AES-128-GCM per record; the padding delimiter 0x02 ends the last record.
 */
export function decryptWebPush(payload: Buffer, ua: { privateKey: Buffer; publicKey: Buffer; auth: Buffer }): Buffer {
  const salt = payload.subarray(0, 16);
  const rs = payload.readUInt32BE(16);
  const idLen = payload.readUInt8(20);
  const asPublic = payload.subarray(21, 21 + idLen);
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(ua.privateKey);
  const secret = ecdh.computeSecret(asPublic);
  const prkKey = hmac(ua.auth, secret);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ua.publicKey, asPublic, Buffer.from([1])]);
  const ikm = hmac(prkKey, keyInfo);
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01', 'binary')).subarray(0, 16);
  const baseNonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01', 'binary')).subarray(0, 12);
  const records = payload.subarray(21 + idLen);
  const out: Buffer[] = [];
  for (let seq = 0, off = 0; off < records.length; seq++, off += rs) {
    const rec = records.subarray(off, Math.min(off + rs, records.length));
    const nonce = Buffer.from(baseNonce);
    nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ seq) >>> 0, 8); // the record sequence number XORs the nonce's tail
    const d = createDecipheriv('aes-128-gcm', cek, nonce);
    d.setAuthTag(rec.subarray(rec.length - 16));
    const plain = Buffer.concat([d.update(rec.subarray(0, rec.length - 16)), d.final()]);
    let end = plain.length - 1;
    while (end >= 0 && plain[end] === 0) end--;
    if (plain[end] !== 1 && plain[end] !== 2) throw new Error('no padding delimiter');
    out.push(plain.subarray(0, end));
  }
  return Buffer.concat(out);
}

export interface ReceivedPush {
  device: string;
  headers: IncomingMessage['headers'];
  /** The decrypted payload as JSON. */
  payload: Record<string, unknown>;
  /** The VAPID JWT's claims, verified with the k= public key. */
  vapid: JWTPayload;
}

/**
 * A push service of our own (RFC 8030 over HTTPS, self-signed): hands out subscriptions whose keys
 * it keeps like a browser would, checks the VAPID header, decrypts each push; a device told to be
 * gone answers 410.
 */
export class WebPushEndpoint {
  readonly received: ReceivedPush[] = [];
  readonly gone = new Set<string>();
  private readonly keys = new Map<string, { privateKey: Buffer; publicKey: Buffer; auth: Buffer }>();
  private constructor(private readonly server: Server, readonly port: number, readonly caFile: string) {}

  static async start(): Promise<WebPushEndpoint> {
    const dir = mkdtempSync(join(tmpdir(), 'careloop-push-'));
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    let self: WebPushEndpoint | null = null;
    const server = createHttpsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => { void self?.handle(req, res); });
    self = new WebPushEndpoint(server, await listen(server), cert);
    return self;
  }

  /** A new subscription as PushManager.subscribe() would give it. */
  subscription(device = randomUUID()): { endpoint: string; keys: { p256dh: string; auth: string } } {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const k = { privateKey: ecdh.getPrivateKey(), publicKey: ecdh.getPublicKey(), auth: randomBytes(16) };
    this.keys.set(device, k);
    return { endpoint: `https://127.0.0.1:${this.port}/push/${device}`, keys: { p256dh: b64url(k.publicKey), auth: b64url(k.auth) } };
  }

  deviceOf(endpoint: string): string {
    return endpoint.split('/').pop() ?? '';
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await body(req);
    const device = (req.url ?? '').split('/').pop() ?? '';
    const k = this.keys.get(device);
    if (req.method !== 'POST' || k === undefined) { res.writeHead(404).end(); return; }
    if (this.gone.has(device)) { res.writeHead(410).end(); return; }
    try {
      const auth = /^vapid t=([^,]+), k=(.+)$/.exec(String(req.headers.authorization ?? ''));
      if (auth === null || req.headers['content-encoding'] !== 'aes128gcm' || req.headers['ttl'] === undefined) throw new Error('not a VAPID aes128gcm push');
      const pub = Buffer.from(auth[2] as string, 'base64url');
      const jwk = { kty: 'EC', crv: 'P-256', x: b64url(pub.subarray(1, 33)), y: b64url(pub.subarray(33, 65)) };
      const { payload: vapid } = await jwtVerify(auth[1] as string, createPublicKey({ key: jwk, format: 'jwk' }), { audience: `https://127.0.0.1:${this.port}` });
      const payload = JSON.parse(decryptWebPush(raw, k).toString('utf8')) as Record<string, unknown>;
      this.received.push({ device, headers: req.headers, payload, vapid });
      res.writeHead(201, { location: `/message/${randomUUID()}` }).end();
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end((err as Error).message);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface FcmMessage {
  projectId: string;
  message: { token: string; notification?: { title?: string; body?: string }; data?: Record<string, string> };
}

/**
 * FCM HTTP v1 and Google's OAuth token endpoint, locally: the token endpoint checks the
 * service-account JWT (RS256, the account's key, our audience, the FCM scope) and issues a bearer;
 * messages:send accepts only bearers it issued, and answers 404 UNREGISTERED for dead tokens.
 */
export class FcmServer {
  readonly messages: FcmMessage[] = [];
  readonly dead = new Set<string>();
  readonly refusedBearers: string[] = [];
  private readonly issued = new Set<string>();
  readonly projectId = `careloop-test-${randomUUID().slice(0, 8)}`;
  readonly serviceAccountFile: string;
  private readonly publicKey;
  private constructor(private readonly server: Server, readonly port: number) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.publicKey = publicKey;
    this.serviceAccountFile = join(mkdtempSync(join(tmpdir(), 'careloop-fcm-')), 'service-account.json');
    writeFileSync(this.serviceAccountFile, JSON.stringify({
      type: 'service_account', project_id: this.projectId, private_key_id: 'k1', client_email: `push@${this.projectId}.iam.gserviceaccount.com`,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }), token_uri: this.tokenUrl,
    }));
  }

  get tokenUrl(): string { return `http://127.0.0.1:${this.port}/token`; }
  get apiUrl(): string { return `http://127.0.0.1:${this.port}`; }

  static async start(): Promise<FcmServer> {
    let self: FcmServer | null = null;
    const server = createHttpServer((req, res) => { void self?.handle(req, res); });
    self = new FcmServer(server, await listen(server));
    return self;
  }

  private json(res: ServerResponse, status: number, value: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = (await body(req)).toString('utf8');
    if (req.method === 'POST' && req.url === '/token') {
      const form = new URLSearchParams(raw);
      try {
        if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') throw new Error('unsupported_grant_type');
        const { payload } = await jwtVerify(form.get('assertion') ?? '', this.publicKey, { audience: this.tokenUrl, algorithms: ['RS256'] });
        if (payload['scope'] !== 'https://www.googleapis.com/auth/firebase.messaging' || !String(payload.iss).endsWith('.iam.gserviceaccount.com')) throw new Error('invalid_scope');
        const token = `ya29.${randomBytes(24).toString('base64url')}`;
        this.issued.add(token);
        this.json(res, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
      } catch (err) {
        this.json(res, 400, { error: 'invalid_grant', error_description: (err as Error).message });
      }
      return;
    }
    const m = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(req.url ?? '');
    if (req.method !== 'POST' || m === null) { this.json(res, 404, { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } }); return; }
    const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!this.issued.has(bearer)) {
      this.refusedBearers.push(bearer);
      this.json(res, 401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } });
      return;
    }
    const { message } = JSON.parse(raw) as { message: FcmMessage['message'] };
    if (this.dead.has(message.token)) {
      this.json(res, 404, { error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND', details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }] } });
      return;
    }
    this.messages.push({ projectId: decodeURIComponent(m[1] as string), message });
    this.json(res, 200, { name: `projects/${m[1] as string}/messages/${randomUUID()}` });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
