import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

export interface ServerFrame {
  type: 'ack' | 'message' | 'error' | 'pong' | 'typing' | 'history';
  id: string | null;
  replyTo?: string | null;
  text?: string;
  quickReplies?: string[];
  code?: string;
  message?: string;
  /** history frames: the recent conversation */
  messages?: Array<{ id: string; from: 'patient' | 'assistant'; text: string; at: string }>;
}

/** A patient's chat client for tests and the load harness: the documented frames, nothing else. */
export class ChatClient {
  readonly frames: ServerFrame[] = [];
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as ServerFrame);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('close', () => { this.closed = true; for (const w of this.waiters.splice(0)) w(); });
  }

  static connect(url: string, token: string, headers: Record<string, string> = {}): Promise<ChatClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`, { headers });
      ws.once('open', () => resolve(new ChatClient(ws)));
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  sendRaw(data: string): void {
    this.ws.send(data);
  }

  /** Sends a message frame; returns its client id. */
  send(text: string, id: string = randomUUID()): string {
    this.ws.send(JSON.stringify({ type: 'message', id, text }));
    return id;
  }

  replies(): ServerFrame[] {
    return this.frames.filter((f) => f.type === 'message');
  }

  /** Waits until the predicate holds over the frames received so far. */
  async waitFor(what: string, predicate: (frames: readonly ServerFrame[]) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.frames)) {
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}
