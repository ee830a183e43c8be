import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { pickMessage, seededRandom } from './mix.js';
import { summarize, type LatencySummary } from './stats.js';
import { ConnectionTracker, Metrics, type Lost } from './tracker.js';
import { cpuBetween, cpuMark, type CpuMark } from './cpu.js';

export interface Patient { id: string; token: string }

export interface RunPlan {
  url: string;
  patients: readonly Patient[];
  connections: number;
  rate: number;
  warmupMs: number;
  durationMs: number;
  drainMs: number;
  seed: number;
}

export interface RunOutcome {
  metrics: Metrics;
  connected: number;
  /** Why connections failed to open, by reason ("HTTP 401", "ECONNREFUSED"). */
  connectFailures: Record<string, number>;
  /** Connections the server closed before the end, by close code. */
  closedEarly: Record<string, number>;
  /** Milliseconds the measuring window actually lasted (first to last measured send). */
  windowMs: number;
  /** Milliseconds spent draining before every measured message was answered or --drain ran out. */
  drainedMs: number;
  lost: Lost;
  /** How late the harness sent against its schedule; large values mean the harness was saturated. */
  sendLag: LatencySummary | null;
  /** Sent messages per category of the mix. */
  categories: Record<string, number>;
  /** CPU milliseconds over the measuring window: the whole machine's and the harness's own (null off Linux). */
  cpu: { machineMs: number; harnessMs: number } | null;
}

interface Conn { ws: WebSocket; tracker: ConnectionTracker; open: boolean }

const CONNECT_TIMEOUT_MS = 10_000;
const TICK_MS = 2;
const PROGRESS_MS = 5_000;

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Opens one socket; resolves with it open, or with the reason it could not open. */
function openSocket(url: string, token: string, metrics: Metrics, closedEarly: Record<string, number>): Promise<Conn | string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS });
    const conn: Conn = { ws, tracker: new ConnectionTracker(metrics), open: false };
    let settled = false;
    const settle = (v: Conn | string): void => { if (!settled) { settled = true; resolve(v); } };
    ws.on('open', () => { conn.open = true; settle(conn); });
    ws.on('unexpected-response', (_req, res) => { settle(`HTTP ${res.statusCode ?? '?'}`); ws.terminate(); });
    ws.on('error', (err: NodeJS.ErrnoException) => settle(err.code ?? err.message));
    ws.on('message', (data: WebSocket.RawData) => conn.tracker.received(data.toString(), performance.now()));
    ws.on('close', (code) => {
      if (conn.open) bump(closedEarly, String(code));
      conn.open = false;
      settle(`closed ${code}`);
    });
  });
}

async function openAll(plan: RunPlan, metrics: Metrics, out: Pick<RunOutcome, 'connectFailures' | 'closedEarly'>): Promise<Conn[]> {
  const results = await Promise.all(Array.from({ length: plan.connections }, (_, i) => {
    const patient = plan.patients[i % plan.patients.length];
    if (patient === undefined) throw new Error('no patients to connect as');
    return openSocket(plan.url, patient.token, metrics, out.closedEarly);
  }));
  const conns: Conn[] = [];
  for (const r of results) {
    if (typeof r === 'string') bump(out.connectFailures, r);
    else conns.push(r);
  }
  return conns;
}

function progressLine(phase: string, elapsedMs: number, m: Metrics): string {
  const p99 = summarize(m.windowReplyMs)?.p99;
  m.windowReplyMs = [];
  const f = (n: number): string => String(n).padStart(8);
  return `[${(elapsedMs / 1000).toFixed(1).padStart(6)}s] ${phase.padEnd(7)} sent ${f(m.sentTotal)}  acked ${f(m.ackedTotal)}  replied ${f(m.repliedTotal)}  errors ${f(m.errorCount())}  reply p99(5s) ${p99 === undefined ? '     -' : p99.toFixed(0).padStart(6)} ms`;
}

function totalOutstanding(conns: readonly Conn[]): Lost {
  const lost: Lost = { acks: 0, replies: 0, repliesByCategory: {} };
  for (const c of conns) {
    const o = c.tracker.outstanding();
    lost.acks += o.acks;
    lost.replies += o.replies;
    for (const [k, v] of Object.entries(o.repliesByCategory)) lost.repliesByCategory[k] = (lost.repliesByCategory[k] ?? 0) + v;
  }
  return lost;
}

/**
 * Sends on a timer schedule (open loop): message k is due at start + k/rate whatever the server
 * does, so a slow server shows up as latency and backlog rather than as a lower offered rate.
 * Latency is measured from the scheduled time, which keeps coordinated omission out of the figures.
 */
async function sendSchedule(plan: RunPlan, conns: readonly Conn[], m: Metrics, say: (line: string) => void, outcome: RunOutcome): Promise<void> {
  const random = seededRandom(plan.seed);
  const warmupCount = Math.round((plan.rate * plan.warmupMs) / 1000);
  const total = warmupCount + Math.max(1, Math.round((plan.rate * plan.durationMs) / 1000));
  const lag: number[] = [];
  const start = performance.now();
  let k = 0;
  let windowStart = start;
  let startMark: CpuMark | null = null;
  let nextProgress = start + PROGRESS_MS;
  while (k < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - start) * plan.rate) / 1000) + 1);
    for (; k < due; k += 1) {
      if (k === warmupCount) { m.measuring = true; windowStart = performance.now(); startMark = cpuMark(); }
      const scheduled = start + (k * 1000) / plan.rate;
      const conn = conns[k % conns.length];
      if (conn === undefined) continue;
      const msg = pickMessage(random);
      bump(outcome.categories, msg.category);
      const id = randomUUID();
      if (m.measuring) lag.push(now - scheduled);
      if (!conn.open) { conn.tracker.sendFailed(id, msg.category, scheduled, 'CONNECTION_CLOSED'); continue; }
      conn.tracker.sent(id, msg.category, scheduled);
      conn.ws.send(JSON.stringify({ type: 'message', id, text: msg.text }));
    }
    if (now >= nextProgress) { say(progressLine(m.measuring ? 'measure' : 'warmup', now - start, m)); nextProgress += PROGRESS_MS; }
    await sleep(TICK_MS);
  }
  outcome.windowMs = performance.now() - windowStart;
  const endMark = cpuMark();
  outcome.cpu = startMark === null || endMark === null ? null : cpuBetween(startMark, endMark);
  m.measuring = false;
  outcome.sendLag = summarize(lag);
}

/** Waits until every measured message has its ack and reply, or --drain runs out. */
async function drain(plan: RunPlan, conns: readonly Conn[], m: Metrics, say: (line: string) => void): Promise<number> {
  const start = performance.now();
  let nextProgress = start + PROGRESS_MS;
  for (;;) {
    const now = performance.now();
    const left = totalOutstanding(conns);
    if ((left.acks === 0 && left.replies === 0) || now - start >= plan.drainMs) return now - start;
    if (now >= nextProgress) { say(`${progressLine('drain', now - start, m)}  (waiting for ${left.acks} acks, ${left.replies} replies)`); nextProgress += PROGRESS_MS; }
    await sleep(50);
  }
}

/** Runs the whole scenario; sends nothing when not a single connection could be opened (connected 0). */
export async function runLoad(plan: RunPlan, say: (line: string) => void): Promise<RunOutcome> {
  const metrics = new Metrics();
  const outcome: RunOutcome = {
    metrics, connected: 0, connectFailures: {}, closedEarly: {}, windowMs: 0, drainedMs: 0,
    lost: { acks: 0, replies: 0, repliesByCategory: {} }, sendLag: null, categories: {}, cpu: null,
  };
  const conns = await openAll(plan, metrics, outcome);
  outcome.connected = conns.length;
  if (conns.length === 0) return outcome;
  say(`connected ${conns.length}/${plan.connections} sockets to ${plan.url}; sending ${plan.rate} msg/s (warm-up ${plan.warmupMs / 1000}s, measure ${plan.durationMs / 1000}s)`);
  await sendSchedule(plan, conns, metrics, say, outcome);
  outcome.drainedMs = await drain(plan, conns, metrics, say);
  outcome.lost = totalOutstanding(conns);
  for (const c of conns) { c.open = false; c.ws.close(1000, 'load test done'); }
  await sleep(100);
  for (const c of conns) c.ws.terminate();
  return outcome;
}
