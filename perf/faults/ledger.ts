/**
 * The fault suite's bookkeeping, without I/O: every message a simulated patient sends and every
 * frame that comes back, with times (ms since the run started), and the per-row figures computed
 * from them: acked, answered, lost, duplicates, out of order, latency and time to recover.
 */
import { summarize, type LatencySummary } from '../chat-load/stats.js';

export interface SentMessage {
  id: string;
  patient: string;
  /** The patient's own sequence number of this message (0, 1, 2 …). */
  seq: number;
  /** When the open-loop schedule made it due. */
  scheduledAt: number;
  /** The mix category of its text (e.g. medication_taken), when known. */
  category?: string;
  ackedAt: number | null;
  /** Distinct server message ids answering it, with their text and arrival. */
  replies: Array<{ id: string; text: string; at: number }>;
  /** Error frames about it, by code (the client sends it again on a retryable one). */
  errors: string[];
}

export interface Row {
  name: string;
  /** Messages scheduled in [from, to) belong to the row. */
  from: number;
  to: number;
  /** When each fault of the row was injected. */
  faultsAt: number[];
}

export interface RowFigures {
  name: string;
  faults: number;
  sent: number;
  acked: number;
  replied: number;
  lost: number;
  /** The same server message id delivered twice to a patient (the chat page hides it: it dedupes by id). */
  redeliveredIds: number;
  /** One message answered by two different ids with the same text: a duplicate the patient sees. */
  visibleDuplicates: number;
  /** First replies that arrived before the first reply of an earlier message of the same patient. */
  outOfOrder: number;
  errors: Record<string, number>;
  reply: LatencySummary | null;
  /** Reply p99 minus the baseline row's p99, ms (null for the baseline itself). */
  extraP99Ms: number | null;
  /** Per fault: ms from the fault until the last slow reply of the messages around it arrived. */
  recoverMs: number[];
}

export class Ledger {
  readonly messages = new Map<string, SentMessage>();
  /** Server ids seen per patient, to count redeliveries of the same id. */
  private readonly seenIds = new Map<string, Set<string>>();
  redeliveries: Array<{ patient: string; at: number }> = [];

  sent(m: Omit<SentMessage, 'ackedAt' | 'replies' | 'errors'>): void {
    this.messages.set(m.id, { ...m, ackedAt: null, replies: [], errors: [] });
  }

  acked(id: string, at: number): void {
    const m = this.messages.get(id);
    if (m !== undefined && m.ackedAt === null) m.ackedAt = at;
  }

  error(id: string | null, code: string): void {
    const m = id === null ? undefined : this.messages.get(id);
    m?.errors.push(code);
  }

  reply(patient: string, serverId: string, replyTo: string | null, text: string, at: number): void {
    const seen = this.seenIds.get(patient) ?? new Set<string>();
    this.seenIds.set(patient, seen);
    if (seen.has(serverId)) { this.redeliveries.push({ patient, at }); return; }
    seen.add(serverId);
    const m = replyTo === null ? undefined : this.messages.get(replyTo);
    m?.replies.push({ id: serverId, text, at });
  }

  /** Messages still waiting for their first reply. */
  unanswered(): number {
    let n = 0;
    for (const m of this.messages.values()) if (m.replies.length === 0) n += 1;
    return n;
  }
}

/** Latency (ms) from due to first reply; null when unanswered. */
export function replyLatency(m: SentMessage): number | null {
  const first = m.replies[0];
  return first === undefined ? null : first.at - m.scheduledAt;
}

function outOfOrder(msgs: readonly SentMessage[]): number {
  const byPatient = new Map<string, SentMessage[]>();
  for (const m of msgs) byPatient.set(m.patient, [...(byPatient.get(m.patient) ?? []), m]);
  let n = 0;
  for (const list of byPatient.values()) {
    list.sort((a, b) => a.seq - b.seq);
    let latest = -Infinity;
    for (const m of list) {
      const at = m.replies[0]?.at;
      if (at === undefined) continue;
      if (at < latest) n += 1;
      latest = Math.max(latest, at);
    }
  }
  return n;
}

/**
 * Time to recover from a fault at t: the messages due from 5 s before it to the next fault (or 60 s)
 * whose reply took longer than `slowMs`; recovered when the last of them was answered.
 */
export function recoverAfter(msgs: readonly SentMessage[], t: number, until: number, slowMs: number): number {
  let last = t;
  for (const m of msgs) {
    if (m.scheduledAt < t - 5_000 || m.scheduledAt >= until) continue;
    const lat = replyLatency(m);
    if (lat !== null && lat > slowMs) last = Math.max(last, m.scheduledAt + lat);
  }
  return last - t;
}

export function rowFigures(ledger: Ledger, row: Row, baselineP99: number | null, slowMs: number): RowFigures {
  const msgs = [...ledger.messages.values()].filter((m) => m.scheduledAt >= row.from && m.scheduledAt < row.to);
  const latencies = msgs.map(replyLatency).filter((l): l is number => l !== null);
  const errors: Record<string, number> = {};
  let visible = 0;
  for (const m of msgs) {
    for (const e of m.errors) errors[e] = (errors[e] ?? 0) + 1;
    const texts = m.replies.map((r) => r.text);
    if (new Set(texts).size < texts.length) visible += 1;
  }
  const reply = summarize(latencies);
  const recoverMs = row.faultsAt.map((t, i) => recoverAfter(msgs, t, Math.min(row.faultsAt[i + 1] ?? Infinity, t + 60_000), slowMs));
  return {
    name: row.name, faults: row.faultsAt.length, sent: msgs.length,
    acked: msgs.filter((m) => m.ackedAt !== null).length,
    replied: latencies.length, lost: msgs.length - latencies.length,
    redeliveredIds: ledger.redeliveries.filter((r) => r.at >= row.from && r.at < row.to).length,
    visibleDuplicates: visible, outOfOrder: outOfOrder(msgs), errors, reply,
    extraP99Ms: baselineP99 === null || reply === null ? null : Math.round(reply.p99 - baselineP99),
    recoverMs: recoverMs.map((r) => Math.round(r)),
  };
}
