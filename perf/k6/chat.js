// Chat load scenario for a deployed cluster: the same as perf/load-harness.ts (open-loop sends at a
// target rate, the same message mix, ack and reply latency, errors, lost replies), in k6.
// How to run: perf/k6/README.md. Thresholds are reported and make k6 exit 99 when crossed; CI does
// not run this script.
import ws from 'k6/ws';
import { Counter, Rate, Trend } from 'k6/metrics';

const RATE = Number(__ENV.RATE || 250); // messages per second, all connections together
const CONNECTIONS = Number(__ENV.CONNECTIONS || 20);
const DURATION_S = Number(__ENV.DURATION || 30);
const WARMUP_S = Number(__ENV.WARMUP || 3);
const DRAIN_S = Number(__ENV.DRAIN || 10);

for (const [name, v] of [['RATE', RATE], ['CONNECTIONS', CONNECTIONS], ['DURATION', DURATION_S], ['WARMUP', WARMUP_S], ['DRAIN', DRAIN_S]]) {
  if (!Number.isFinite(v) || v < 0 || ((name === 'RATE' || name === 'CONNECTIONS' || name === 'DURATION') && v <= 0)) {
    throw new Error(`${name} must be a positive number; got "${__ENV[name]}"`);
  }
}
if (!Number.isInteger(CONNECTIONS)) throw new Error(`CONNECTIONS must be a whole number; got "${__ENV.CONNECTIONS}"`);

// Target: CHAT_URL + CHAT_TOKENS (comma-separated session tokens), or DEMO_FILE (a demo.json
// written by `careloop seed`; a path relative to this script). open() only works here, in init.
function loadTarget() {
  if (__ENV.CHAT_TOKENS) {
    if (!__ENV.CHAT_URL) throw new Error('CHAT_TOKENS needs CHAT_URL (wss://host/v1/chat)');
    return { url: __ENV.CHAT_URL, tokens: __ENV.CHAT_TOKENS.split(',').map((t) => t.trim()).filter((t) => t !== '') };
  }
  const demo = JSON.parse(open(__ENV.DEMO_FILE || '../../.stack/demo.json'));
  return { url: __ENV.CHAT_URL || demo.gatewayUrl, tokens: (demo.patients || []).map((p) => p.token) };
}
const TARGET = loadTarget();
if (!/^wss?:\/\//.test(TARGET.url || '')) throw new Error(`the chat URL must be ws:// or wss://; got "${TARGET.url}"`);
if (TARGET.tokens.length === 0) throw new Error('no session tokens (CHAT_TOKENS or the demo file\'s patients)');

// Keep in step with perf/chat-load/mix.ts. No emergency wording and no STOP keyword.
const MIX = [
  [35, 'medication_taken', ['I took my pills this morning', 'took my metformin', 'done, took it', 'yes I took my medication',
    'just had my blood pressure pill', 'took them with breakfast', 'all taken for today 👍', 'ya me tomé la pastilla',
    'ya tomé mi medicina', 'sí, ya me la tomé']],
  [15, 'greeting_thanks', ['hi', 'hello', 'good morning', 'hey there', 'thanks', 'thank you so much', 'ok thanks', 'hola', 'gracias']],
  [10, 'help', ['help', 'what can you do?', 'how does this work', 'I need help with my reminders', 'ayuda por favor']],
  [10, 'skipped_snooze', ['I forgot my pill yesterday', 'skipped my dose today', 'remind me in an hour', 'snooze', 'not yet, later',
    'recuérdamelo más tarde']],
  [10, 'refill_appointment', ['I need a refill', 'running low on my metformin', 'can I book an appointment?',
    'I need to see the doctor next week', 'can I move my appointment to Friday', 'necesito una cita']],
  [5, 'symptom', ['I have a mild headache', 'feeling a bit dizzy after the new pills', 'my stomach is upset today',
    'I feel more tired than usual']],
  [5, 'spanish_misc', ['buenos días', '¿a qué hora me toca la pastilla?', 'necesito más pastillas', 'me olvidé la dosis de anoche',
    'muchas gracias por el recordatorio']],
  [10, 'other', ['where is the nearest pharmacy?', 'is the clinic open on saturday', 'what time is my next reminder', 'ok',
    'sounds good', 'can you tell me about my medication', 'I am travelling next week']],
];

function pick() {
  let r = Math.random() * 100;
  for (const [weight, , texts] of MIX) {
    if (r < weight) return texts[Math.floor(Math.random() * texts.length)];
    r -= weight;
  }
  return 'hello';
}

const ackLatency = new Trend('chat_ack_latency', true);
const replyLatency = new Trend('chat_reply_latency', true);
const sent = new Counter('chat_messages_sent');
const replied = new Counter('chat_replies');
const chatErrors = new Counter('chat_errors');
const lostReplies = new Counter('chat_lost_replies');
const lostAcks = new Counter('chat_lost_acks');
const replyRate = new Rate('chat_replied');

export const options = {
  scenarios: {
    chat: {
      executor: 'per-vu-iterations',
      vus: CONNECTIONS,
      iterations: 1,
      maxDuration: `${Math.ceil(WARMUP_S + DURATION_S + DRAIN_S + 30)}s`,
    },
  },
  thresholds: {
    chat_ack_latency: ['p(99)<200'],
    chat_reply_latency: ['p(95)<300', 'p(99)<500'],
    chat_replied: ['rate>0.999'],
    chat_errors: ['count<1'],
  },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max', 'count'],
};

// One VU = one connection as one patient (round-robin over the tokens), sending RATE/CONNECTIONS
// messages a second on its own timer (open loop), staggered so the connections interleave evenly.
export default function () {
  const vu = __VU - 1;
  const token = TARGET.tokens[vu % TARGET.tokens.length];
  const intervalMs = (1000 * CONNECTIONS) / RATE;
  const mine = new Map(); // client id → { at, measured, acked, replied, failed }
  const seen = new Set(); // server message ids, once per connection
  const startedAt = Date.now();
  let n = 0;

  const res = ws.connect(TARGET.url, { headers: { Authorization: `Bearer ${token}` } }, (socket) => {
    socket.on('open', () => {
      socket.setTimeout(() => {
        socket.setInterval(() => {
          const elapsedS = (Date.now() - startedAt) / 1000;
          if (elapsedS >= WARMUP_S + DURATION_S) return;
          const id = `k6-${vu}-${n++}-${Date.now()}`;
          mine.set(id, { at: Date.now(), measured: elapsedS >= WARMUP_S, acked: false, replied: false, failed: false });
          if (elapsedS >= WARMUP_S) sent.add(1);
          socket.send(JSON.stringify({ type: 'message', id, text: pick() }));
        }, intervalMs);
      }, (intervalMs * vu) / CONNECTIONS);
      socket.setTimeout(() => socket.close(), (WARMUP_S + DURATION_S + DRAIN_S) * 1000);
    });
    socket.on('message', (raw) => {
      let f;
      try { f = JSON.parse(raw); } catch (e) { chatErrors.add(1, { code: 'BAD_FRAME' }); return; }
      const now = Date.now();
      if (f.type === 'ack') {
        const m = mine.get(f.id);
        if (m && !m.acked) { m.acked = true; if (m.measured) ackLatency.add(now - m.at); }
      } else if (f.type === 'message') {
        if (seen.has(f.id)) return;
        seen.add(f.id);
        const m = f.replyTo === null ? undefined : mine.get(f.replyTo);
        if (m && !m.replied) { m.replied = true; if (m.measured) { replyLatency.add(now - m.at); replied.add(1); } }
      } else if (f.type === 'error') {
        chatErrors.add(1, { code: f.code || 'UNKNOWN' });
        const m = f.id === null ? undefined : mine.get(f.id);
        if (m) m.failed = true;
      }
    });
    socket.on('error', (e) => chatErrors.add(1, { code: 'SOCKET_ERROR', error: String(e.error()) }));
  });
  if (!res || res.status !== 101) {
    chatErrors.add(1, { code: `HTTP_${res ? res.status : 'none'}` });
    return;
  }
  for (const m of mine.values()) {
    if (!m.measured || m.failed) continue;
    replyRate.add(m.replied);
    if (!m.acked) lostAcks.add(1);
    if (!m.replied) lostReplies.add(1);
  }
}
