/**
 * Per-message bookkeeping of the load test, without I/O: the run feeds it what was sent and what
 * arrived, with the time, and it keeps the counts and latency samples. Times are performance.now()
 * milliseconds.
 */

/** Everything counted across connections. Only messages sent while measuring give samples. */
export class Metrics {
  /** Send → ack, measured messages only. */
  readonly ackMs: number[] = [];
  /** Send → first reply whose replyTo is the message, measured messages only. */
  readonly replyMs: number[] = [];
  /** Reply latencies since the last progress line, of every message (warm-up included). */
  windowReplyMs: number[] = [];
  sentTotal = 0;
  sentMeasured = 0;
  ackedTotal = 0;
  ackedMeasured = 0;
  /** First replies to this connection's messages. */
  repliedTotal = 0;
  repliedMeasured = 0;
  /** Replies to one of our messages received inside the measuring window (for the reply rate). */
  repliesInWindow = 0;
  /** Second and later replies to one message (a workflow may answer twice). */
  extraReplies = 0;
  /** A server message id seen again on the same connection (at-least-once delivery). */
  duplicateMessages = 0;
  /** Replies to another connection's message of the same patient, or unsolicited (replyTo null). */
  otherMessages = 0;
  /** Acks for an id this connection did not send, or acked twice. */
  unexpectedAcks = 0;
  /** Frames that are not JSON or not one of ack/message/error/pong. */
  badFrames = 0;
  /** Error frames by code; errors about a message of ours make it neither lost nor late. */
  readonly errors = new Map<string, number>();
  measuring = false;

  countError(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  errorCount(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }
}

interface Outgoing {
  category: string;
  sentAt: number;
  measured: boolean;
  acked: boolean;
  replied: boolean;
  failed: boolean;
}

export interface Lost {
  acks: number;
  replies: number;
  /** Unanswered messages by mix category: a category the product never answers stands out here. */
  repliesByCategory: Record<string, number>;
}

type ServerFrame =
  | { type: 'ack'; id: string }
  | { type: 'message'; id: string; replyTo: string | null }
  | { type: 'error'; id: string | null; code: string }
  | { type: 'pong' };

function asFrame(raw: string): ServerFrame | null {
  let v: unknown;
  try { v = JSON.parse(raw); } catch { return null; }
  if (v === null || typeof v !== 'object') return null;
  const f = v as Record<string, unknown>;
  switch (f['type']) {
    case 'ack': return typeof f['id'] === 'string' ? { type: 'ack', id: f['id'] } : null;
    case 'message': {
      const replyTo = f['replyTo'];
      if (typeof f['id'] !== 'string' || (replyTo !== null && typeof replyTo !== 'string')) return null;
      return { type: 'message', id: f['id'], replyTo };
    }
    case 'error': return { type: 'error', id: typeof f['id'] === 'string' ? f['id'] : null, code: typeof f['code'] === 'string' ? f['code'] : 'UNKNOWN' };
    case 'pong': return { type: 'pong' };
    default: return null;
  }
}

/** One connection's view: its own client ids, and every server message id once. */
export class ConnectionTracker {
  private readonly outgoing = new Map<string, Outgoing>();
  private readonly seen = new Set<string>();

  constructor(private readonly metrics: Metrics) {}

  sent(id: string, category: string, at: number): void {
    const measured = this.metrics.measuring;
    this.outgoing.set(id, { category, sentAt: at, measured, acked: false, replied: false, failed: false });
    this.metrics.sentTotal += 1;
    if (measured) this.metrics.sentMeasured += 1;
  }

  /** A message that could not be handed to the socket at all (closed): an error, not a loss. */
  sendFailed(id: string, category: string, at: number, code: string): void {
    this.sent(id, category, at);
    this.fail(id, code);
  }

  received(raw: string, at: number): void {
    const frame = asFrame(raw);
    if (frame === null) { this.metrics.badFrames += 1; return; }
    switch (frame.type) {
      case 'ack': this.onAck(frame.id, at); return;
      case 'message': this.onMessage(frame.id, frame.replyTo, at); return;
      case 'error':
        if (frame.id !== null && this.outgoing.has(frame.id)) this.fail(frame.id, frame.code);
        else this.metrics.countError(frame.code);
        return;
      case 'pong': return;
    }
  }

  private fail(id: string, code: string): void {
    const o = this.outgoing.get(id);
    if (o !== undefined) o.failed = true;
    this.metrics.countError(code);
  }

  private onAck(id: string, at: number): void {
    const o = this.outgoing.get(id);
    if (o === undefined || o.acked) { this.metrics.unexpectedAcks += 1; return; }
    o.acked = true;
    this.metrics.ackedTotal += 1;
    if (o.measured) { this.metrics.ackedMeasured += 1; this.metrics.ackMs.push(at - o.sentAt); }
  }

  private onMessage(serverId: string, replyTo: string | null, at: number): void {
    if (this.seen.has(serverId)) { this.metrics.duplicateMessages += 1; return; }
    this.seen.add(serverId);
    const o = replyTo === null ? undefined : this.outgoing.get(replyTo);
    if (o === undefined) { this.metrics.otherMessages += 1; return; }
    if (o.replied) { this.metrics.extraReplies += 1; return; }
    o.replied = true;
    const ms = at - o.sentAt;
    this.metrics.repliedTotal += 1;
    this.metrics.windowReplyMs.push(ms);
    if (this.metrics.measuring) this.metrics.repliesInWindow += 1;
    if (o.measured) { this.metrics.repliedMeasured += 1; this.metrics.replyMs.push(ms); }
  }

  /** Measured messages still waiting for an ack or a reply (failed ones wait for nothing). */
  outstanding(): Lost {
    const lost: Lost = { acks: 0, replies: 0, repliesByCategory: {} };
    for (const o of this.outgoing.values()) {
      if (!o.measured || o.failed) continue;
      if (!o.acked) lost.acks += 1;
      if (!o.replied) {
        lost.replies += 1;
        lost.repliesByCategory[o.category] = (lost.repliesByCategory[o.category] ?? 0) + 1;
      }
    }
    return lost;
  }
}
