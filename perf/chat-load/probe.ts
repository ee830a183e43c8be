import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { Patient } from './run.js';

const PROBE_TEXT = 'hello';

export interface ProbeResult {
  /** Patients that answered the probe: the load goes to them. */
  answering: Patient[];
  /** Patients that acked but never replied (opted out with STOP, or their dialogue is stuck). */
  silent: string[];
  /** Patients whose socket or message failed, with the reason. */
  failed: Record<string, string>;
}

/** Sends "hello" as one patient and resolves with 'reply', 'silent' (no reply in time) or a failure reason. */
function probeOne(url: string, patient: Patient, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${patient.token}` }, perMessageDeflate: false, handshakeTimeout: timeoutMs });
    const id = randomUUID();
    let acked = false;
    const done = (outcome: string): void => { clearTimeout(timer); ws.terminate(); resolve(outcome); };
    const timer = setTimeout(() => done(acked ? 'silent' : 'no ack'), timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'message', id, text: PROBE_TEXT })));
    ws.on('unexpected-response', (_req, res) => done(`HTTP ${res.statusCode ?? '?'}`));
    ws.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    ws.on('message', (data: WebSocket.RawData) => {
      let f: { type?: unknown; id?: unknown; replyTo?: unknown; code?: unknown };
      try { f = JSON.parse(data.toString()) as typeof f; } catch { return; }
      if (f.type === 'ack' && f.id === id) acked = true;
      if (f.type === 'message' && f.replyTo === id) done('reply');
      if (f.type === 'error' && f.id === id) done(`error ${String(f.code)}`);
    });
  });
}

/**
 * Checks every patient once before the run, so an opted-out demo patient (who is acked but never
 * answered) does not show up as "lost replies" in the figures. Not measured.
 */
export async function probePatients(url: string, patients: readonly Patient[], timeoutMs: number): Promise<ProbeResult> {
  const outcomes = await Promise.all(patients.map((p) => probeOne(url, p, timeoutMs)));
  const result: ProbeResult = { answering: [], silent: [], failed: {} };
  patients.forEach((p, i) => {
    const o = outcomes[i] ?? 'unknown';
    if (o === 'reply') result.answering.push(p);
    else if (o === 'silent') result.silent.push(p.id);
    else result.failed[p.id] = o;
  });
  return result;
}
