import type { RawData, WebSocket } from 'ws';
import { CareloopError, normalizeError, toWsErrorFrame } from '../../platform/errors.js';
import { recordLogger, type Logger } from '../../platform/log.js';
import type { Sealed } from '../../platform/crypto/envelope.js';
import type { Metrics } from '../../platform/service/metrics.js';
import type { HistoryEntry } from '../../platform/stores/chat-history.js';
import type { Outbox } from '../../platform/stores/outbox.js';
import type { RouteTable } from '../../platform/stores/routing.js';
import { ConnectionRegistry, remember, wasSent, type PatientSocket } from './connections.js';
import { frameId, parseFrame, type MessageFrame, type ServerMessageFrame } from './frames.js';

/** Replies read from a patient's outbox at a time. */
const OUTBOX_PAGE = 100;

export interface SessionClaims {
  organizationId: string;
  patientId: string;
  /** When the token expires: the socket is closed with 4401 then, so the client asks to verify again. */
  expiresAt?: Date;
}

/** Close code of a socket whose session token expired (4000–4999 are the application's). */
export const SESSION_EXPIRED_CLOSE = 4401;
/** Lines of recent conversation sent first on every connection. */
const HISTORY_LINES = 50;

/** What the gateway needs from the rest of the product, wired in main.ts. */
export interface GatewayPorts {
  instanceId: string;
  log: Logger;
  outbox: Outbox;
  routes: RouteTable;
  /** Takes one token from the patient's bucket; false when over the limit. */
  allow(patientId: string): Promise<boolean>;
  /** Seals and produces the message to chat.inbound; resolves once it is durably in Kafka. */
  accept(claims: SessionClaims, frame: MessageFrame, locale: string | null, receivedAt: number): Promise<'accepted' | 'duplicate'>;
  /** Decrypts a queued reply for its patient. */
  openReply(organizationId: string, patientId: string, content: Sealed): Promise<{ text: string; quickReplies: string[] }>;
  now: () => number;
  /** The patient's recent conversation (sealed at rest); absent, no history is kept or sent. */
  history?: {
    record(claims: SessionClaims, line: HistoryEntry): Promise<void>;
    recent(claims: SessionClaims): Promise<HistoryEntry[]>;
  };
  /** Connections, frames and refused frames are counted when given. */
  metrics?: Pick<Metrics, 'wsConnections' | 'wsFrames' | 'wsErrors'>;
}

/** Listeners shared by every socket (`this` is the socket), finding its PatientSocket through `of`. */
function socketListeners(on: { of(ws: WebSocket): PatientSocket | undefined; frame(sock: PatientSocket, data: RawData, isBinary: boolean): void; closed(sock: PatientSocket): void }) {
  return {
    pong(this: WebSocket): void { const s = on.of(this); if (s !== undefined) s.alive = true; },
    message(this: WebSocket, data: RawData, isBinary: boolean): void { const s = on.of(this); if (s !== undefined) on.frame(s, data, isBinary); },
    close(this: WebSocket): void { const s = on.of(this); if (s !== undefined) on.closed(s); },
    error(this: WebSocket): void { this.terminate(); },
  };
}

function sendFrame(ws: WebSocket, frame: object, metrics: GatewayPorts['metrics']): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ws.readyState !== ws.OPEN) { reject(new CareloopError('DEPENDENCY_UNAVAILABLE', 'socket closed')); return; }
    ws.send(JSON.stringify(frame), (err) => (err ? reject(err) : resolve()));
    metrics?.wsFrames.inc({ direction: 'out', type: String((frame as { type?: unknown }).type) });
  });
}

/**
 * The patient side of the chat: frames in, acks once messages are durably in Kafka, replies out in
 * order from the patient's outbox. Holds sockets only; every piece of state lives in Redis or Kafka.
 */
export class ChatGateway {
  readonly registry = new ConnectionRegistry();
  private readonly sockets = new WeakMap<WebSocket, PatientSocket>();
  private readonly orgIds = new Map<string, string>();
  /** Patients whose last sent page was not acknowledged in Redis: the next drain acknowledges it first, never resending. */
  private readonly unacked = new Map<string, string>();
  private readonly listeners = socketListeners({
    of: (ws) => this.sockets.get(ws),
    // One patient's frames are handled one after another, so they reach Kafka in the order sent.
    frame: (sock, data, isBinary) => { void this.registry.serialize(`in:${sock.patientId}`, () => this.onFrame(sock, data, isBinary)); },
    closed: (sock) => { void this.disconnect(sock); },
  });

  constructor(private readonly ports: GatewayPorts) {}

  private send(ws: WebSocket, frame: object): Promise<void> {
    return sendFrame(ws, frame, this.ports.metrics);
  }

  async connect(ws: WebSocket, claims: SessionClaims, locale: string | null): Promise<PatientSocket> {
    const sock: PatientSocket = {
      ws, organizationId: this.intern(claims.organizationId), patientId: claims.patientId, locale, sent: null, alive: true,
      expiresAtMs: claims.expiresAt?.getTime() ?? Infinity,
    };
    this.sockets.set(ws, sock);
    this.registry.add(sock);
    this.ports.metrics?.wsConnections.inc();
    // The same four listeners for every socket: no closures per connection.
    ws.on('pong', this.listeners.pong);
    ws.on('message', this.listeners.message);
    ws.on('close', this.listeners.close);
    ws.on('error', this.listeners.error);
    await this.ports.routes.attach(claims.patientId, this.ports.instanceId);
    // Before the history is read: this instance's position starts after what the history already holds.
    await this.ports.outbox.join(claims.patientId, this.ports.instanceId);
    // History first, in the patient's delivery queue, so queued replies follow it in order.
    void this.registry.serialize(claims.patientId, () => this.sendHistory(sock)).catch(() => undefined);
    void this.drain(claims.patientId);
    return sock;
  }

  /** Organisation ids are few: one string for all the sockets of an organisation. */
  private intern(organizationId: string): string {
    let o = this.orgIds.get(organizationId);
    if (o === undefined) { o = organizationId; if (this.orgIds.size < 10_000) this.orgIds.set(o, o); }
    return o;
  }

  /** Closes the sockets whose session token has expired (4401: the client asks to verify again). */
  expireSessions(now = this.ports.now()): void {
    for (const s of this.registry.each()) if (s.expiresAtMs <= now) s.ws.close(SESSION_EXPIRED_CLOSE, 'session expired');
  }

  private async sendHistory(sock: PatientSocket): Promise<void> {
    if (this.ports.history === undefined) return;
    let lines: HistoryEntry[] = [];
    try { lines = (await this.ports.history.recent(sock)).slice(-HISTORY_LINES); } catch (err) {
      recordLogger(this.ports.log, { patientId: sock.patientId, organizationId: sock.organizationId }).warn({ err: normalizeError(err).message }, 'history unavailable');
    }
    for (const l of lines) if (l.from === 'assistant') remember(sock, l.id);
    await this.send(sock.ws, { type: 'history', messages: lines.map((l) => ({ id: l.id, from: l.from, text: l.text, quickReplies: l.quickReplies, at: new Date(l.at).toISOString() })) });
  }

  private async keep(sock: PatientSocket, line: HistoryEntry): Promise<void> {
    await this.ports.history?.record(sock, line).catch((err: unknown) => {
      recordLogger(this.ports.log, { patientId: sock.patientId, organizationId: sock.organizationId }).warn({ err: normalizeError(err).message }, 'history line not kept');
    });
  }

  private async disconnect(sock: PatientSocket): Promise<void> {
    this.ports.metrics?.wsConnections.dec();
    this.sockets.delete(sock.ws);
    if (this.registry.remove(sock)) {
      this.unacked.delete(sock.patientId);
      await this.ports.routes.detach(sock.patientId, this.ports.instanceId).catch(() => undefined);
      await this.ports.outbox.leave(sock.patientId, this.ports.instanceId).catch(() => undefined);
    }
  }

  private async onFrame(sock: PatientSocket, data: unknown, isBinary: boolean): Promise<void> {
    const raw = isBinary ? null : Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data as Buffer[]).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    let id: string | null = null;
    try {
      if (raw === null) throw new CareloopError('BAD_FRAME', 'binary frames are not supported; send JSON text');
      try { id = frameId(JSON.parse(raw)); } catch { id = null; }
      const frame = parseFrame(raw);
      this.ports.metrics?.wsFrames.inc({ direction: 'in', type: frame.type });
      if (frame.type === 'ping') { await this.send(sock.ws, { type: 'pong' }); return; }
      if (!(await this.ports.allow(sock.patientId))) throw new CareloopError('RATE_LIMITED', 'too many messages; wait a moment and send again');
      const claims = { organizationId: sock.organizationId, patientId: sock.patientId };
      const receivedAt = this.ports.now();
      const outcome = await this.ports.accept(claims, frame, frame.locale ?? sock.locale, receivedAt);
      if (outcome === 'accepted') await this.keep(sock, { id: frame.id, from: 'patient', text: frame.text, quickReplies: [], at: receivedAt });
      await this.send(sock.ws, { type: 'ack', id: frame.id });
      // The reply is being prepared: the client shows a typing indicator until it arrives.
      if (outcome === 'accepted') await this.send(sock.ws, { type: 'typing', id: frame.id });
    } catch (err) {
      const e = normalizeError(err);
      this.ports.metrics?.wsErrors.inc({ code: e.code });
      if (sock.ws.readyState !== sock.ws.OPEN) return; // the client left before its answer: nothing to tell
      if (e.code === 'INTERNAL' || e.code === 'DEPENDENCY_UNAVAILABLE') {
        recordLogger(this.ports.log, { patientId: sock.patientId, organizationId: sock.organizationId }).error({ code: e.code, err: e.message }, 'frame failed');
      }
      const frame = e.code === 'DEPENDENCY_UNAVAILABLE'
        ? { type: 'error' as const, id, code: e.code, message: 'the message was not stored; send it again in a moment' }
        : toWsErrorFrame(e, id);
      await this.send(sock.ws, frame).catch(() => undefined);
    }
  }

  /**
   * Sends the patient's queued replies that this instance has not sent yet, in order, to every
   * socket of theirs here; other instances holding the patient's sockets do the same from their
   * own position in the outbox, so each socket gets each reply once.
   */
  drain(patientId: string): Promise<void> {
    return this.registry.serialize(patientId, async () => {
      try { await this.drainPages(patientId); } finally {
        // The history ids were only needed against this first overlap with the queue.
        for (const s of this.registry.socketsOf(patientId)) s.sent = null;
      }
    });
  }

  private async drainPages(patientId: string): Promise<void> {
    const unacked = this.unacked.get(patientId);
    if (unacked !== undefined) { await this.ports.outbox.ack(patientId, this.ports.instanceId, unacked); this.unacked.delete(patientId); }
      for (;;) {
        const sockets = this.registry.socketsOf(patientId);
        if (sockets.length === 0) return;
        const entries = await this.ports.outbox.pending(patientId, this.ports.instanceId, OUTBOX_PAGE);
        if (entries.length === 0) return;
        let last: string | null = null;
        const shown: Array<{ streamId: string; sock: PatientSocket; line: HistoryEntry }> = [];
        for (const e of entries) {
          const owner = sockets.filter((s) => s.organizationId === e.organizationId);
          if (owner.length === 0) { last = e.streamId; continue; } // not this tenant's: never shown
          const content = await this.ports.openReply(e.organizationId, patientId, e.content);
          const sentAt = this.ports.now();
          const frame: ServerMessageFrame = { type: 'message', id: e.messageId, replyTo: e.replyTo, text: content.text, quickReplies: content.quickReplies, sentAt: new Date(sentAt).toISOString() };
          let ok = false;
          for (const s of owner) {
            if (wasSent(s, e.messageId)) { ok = true; continue; }
            try { await this.send(s.ws, frame); ok = true; } catch { /* that socket is gone */ }
          }
          if (!ok) break; // keep the rest queued, in order, for the next connection
          last = e.streamId;
          shown.push({ streamId: e.streamId, sock: owner[0] as PatientSocket, line: { id: e.messageId, from: 'assistant', text: content.text, quickReplies: content.quickReplies, at: sentAt } });
        }
        // History before the position moves: an instance joining later starts after the mark and finds these lines in the history.
        const mine = await this.ports.outbox.claimHistory(patientId, shown.map((s) => s.streamId));
        for (const s of shown) if (mine.has(s.streamId)) await this.keep(s.sock, s.line);
        if (last === null) return;
        this.unacked.set(patientId, last);
        await this.ports.outbox.ack(patientId, this.ports.instanceId, last);
        this.unacked.delete(patientId);
        // A short page was the whole queue: anything queued since comes with its own nudge, whose
        // drain runs after this one (drains of a patient are serialised), so no second read is needed.
        if (last !== entries[entries.length - 1]?.streamId || entries.length < OUTBOX_PAGE) return;
      }
  }

  /** Pings every socket; one that did not answer the previous ping is closed. Refreshes routes. */
  async heartbeat(): Promise<void> {
    for (const s of this.registry.each()) {
      if (!s.alive) { s.ws.terminate(); continue; }
      s.alive = false;
      s.ws.ping();
    }
    await this.ports.routes.refresh(this.registry.patients(), this.ports.instanceId);
  }

  /** Closes every socket with "going away" so clients reconnect to another instance. */
  closeAll(): void {
    for (const s of this.registry.all()) s.ws.close(1001, 'server shutting down');
  }
}

