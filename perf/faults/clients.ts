/**
 * Simulated patients for the fault suite: one WebSocket each that reconnects when it drops (a killed
 * gateway) and sends again, under the same id, every message not yet acked or refused with a
 * retryable error, as the chat page does. An open-loop schedule feeds them from the chat-load mix.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { pickMessage, seededRandom } from '../chat-load/mix.js';
import type { Ledger } from './ledger.js';

export interface Patient { id: string; token: string }

const RETRYABLE = new Set(['DEPENDENCY_UNAVAILABLE', 'RATE_LIMITED', 'INTERNAL']);
const RECONNECT_MS = 250;
const RETRY_MS = 1_000;

class PatientClient {
  private ws: WebSocket | null = null;
  private open = false;
  private closed = false;
  private seq = 0;
  /** Sent but not acked, in order: sent again after a reconnect. */
  private readonly pending = new Map<string, string>();
  reconnects = 0;

  constructor(private readonly url: string, readonly patient: Patient, private readonly ledger: Ledger, private readonly t0: number) {}

  connect(): Promise<void> {
    return new Promise((resolve) => {
      const ws = new WebSocket(this.url, { headers: { authorization: `Bearer ${this.patient.token}` }, perMessageDeflate: false, handshakeTimeout: 5_000 });
      this.ws = ws;
      let settled = false;
      const settle = (): void => { if (!settled) { settled = true; resolve(); } };
      ws.on('open', () => {
        this.open = true;
        for (const [id, text] of this.pending) ws.send(JSON.stringify({ type: 'message', id, text }));
        settle();
      });
      ws.on('message', (data: WebSocket.RawData) => this.onFrame(data.toString()));
      ws.on('error', () => undefined); // the close that follows reconnects
      ws.on('close', () => {
        this.open = false;
        settle();
        if (this.closed) return;
        this.reconnects += 1;
        void sleep(RECONNECT_MS).then(() => (this.closed ? undefined : this.connect()));
      });
    });
  }

  send(text: string, scheduledAt: number, category?: string): void {
    const id = randomUUID();
    this.ledger.sent({ id, patient: this.patient.id, seq: this.seq++, scheduledAt, ...(category === undefined ? {} : { category }) });
    this.pending.set(id, text);
    if (this.open) this.ws?.send(JSON.stringify({ type: 'message', id, text }));
  }

  private onFrame(raw: string): void {
    let f: { type?: string; id?: string | null; replyTo?: string | null; text?: string; code?: string };
    try { f = JSON.parse(raw) as typeof f; } catch { return; }
    const now = performance.now() - this.t0;
    if (f.type === 'ack' && typeof f.id === 'string') { this.pending.delete(f.id); this.ledger.acked(f.id, now); return; }
    if (f.type === 'message' && typeof f.id === 'string') { this.ledger.reply(this.patient.id, f.id, f.replyTo ?? null, f.text ?? '', now); return; }
    if (f.type === 'error') {
      const id = typeof f.id === 'string' ? f.id : null;
      this.ledger.error(id, f.code ?? 'UNKNOWN');
      const text = id === null ? undefined : this.pending.get(id);
      // Refused but retryable (a dependency down): the same id again in a moment, as the page does.
      if (id !== null && text !== undefined && RETRYABLE.has(f.code ?? '')) {
        void sleep(RETRY_MS).then(() => { if (this.open && this.pending.has(id)) this.ws?.send(JSON.stringify({ type: 'message', id, text })); });
      } else if (id !== null) this.pending.delete(id);
    }
  }

  close(): void {
    this.closed = true;
    this.ws?.terminate();
  }
}

export class PatientPool {
  private readonly clients: PatientClient[];
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(url: string, patients: readonly Patient[], ledger: Ledger, readonly t0: number) {
    this.clients = patients.map((p) => new PatientClient(url, p, ledger, t0));
  }

  async connect(): Promise<void> { await Promise.all(this.clients.map((c) => c.connect())); }

  reconnects(): number { return this.clients.reduce((n, c) => n + c.reconnects, 0); }

  /** Starts sending `rate` messages/s round-robin over the patients until stop(). */
  start(rate: number, seed: number): void {
    this.running = true;
    const random = seededRandom(seed);
    const start = performance.now();
    this.loop = (async () => {
      let k = 0;
      while (this.running) {
        const due = Math.floor(((performance.now() - start) * rate) / 1000) + 1;
        for (; k < due; k += 1) {
          const c = this.clients[k % this.clients.length] as PatientClient;
          const picked = pickMessage(random);
          c.send(picked.text, start + (k * 1000) / rate - this.t0, picked.category);
        }
        await sleep(5);
      }
    })();
  }

  async stop(): Promise<void> { this.running = false; await this.loop; }

  close(): void { for (const c of this.clients) c.close(); }
}
