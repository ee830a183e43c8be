/**
 * One client process of the gateway-scale benchmark: opens --connections WebSockets to --url,
 * spread over local addresses 127.0.0.2..(so one source address never runs out of ports), keeps
 * them open (answering pings), and counts message frames received. Reports to its parent (IPC):
 * { opened, failed, received } every 100 ms. Used for both the Careloop gateway and Centrifugo.
 *   --kind careloop   url ws://host:port/v1/chat, a session token per connection (?token=)
 *   --kind centrifugo url ws://host:port/connection/websocket, JSON connect {token} (server-side channels)
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { handleHelp } from '../usage.js';

handleHelp(`Usage: node dist/perf/gateway-scale/client.js --url URL --kind careloop|centrifugo --connections N --tokens FILE
         [--offset I] [--address-base B] [--open-rate R]

One client process of the gateway-scale benchmark; gateway-scale/run.js forks it (run that instead).
Opens N WebSockets to URL from local addresses 127.0.0.B, 127.0.0.B+1, … (20,000 sockets each), at
most R new sockets a second and 200 handshakes in flight, keeps them open (answering pings) and
counts message frames received; reports { opened, failed, received } to its parent over IPC every
100 ms and closes everything when the parent sends "stop".

  --url URL          ws://host:port/v1/chat (careloop) or ws://host:port/connection/websocket (centrifugo)
  --kind K           careloop: a session token per connection (?token=); centrifugo: JSON connect {token}
  --connections N    sockets to open
  --tokens FILE      JSON array of {token}; socket i uses token (offset + i) mod its length
  --offset I         first token (default 0)
  --address-base B   last byte of the first local address (default 2)
  --open-rate R      most new sockets a second (default 2000)

Needs the server at URL and the tokens file; writes nothing; runs until its parent sends "stop".
Exit status 0 on "stop"; 1 when a required flag is missing; 2 for an unknown flag.`, { flags: ['--url', '--kind', '--connections', '--tokens', '--offset', '--address-base', '--open-rate'] });

interface Args { url: string; kind: 'careloop' | 'centrifugo'; connections: number; tokensFile: string; offset: number; addressBase: number; rate: number }

function parseArgs(argv: string[]): Args {
  const get = (name: string, dflt?: string): string => {
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? argv[i + 1] : dflt;
    if (v === undefined) throw new Error(`--${name} is required`);
    return v;
  };
  return {
    url: get('url'), kind: get('kind') as Args['kind'], connections: Number(get('connections')), tokensFile: get('tokens'),
    offset: Number(get('offset', '0')), addressBase: Number(get('address-base', '2')), rate: Number(get('open-rate', '2000')),
  };
}

const args = parseArgs(process.argv.slice(2));
const tokens = JSON.parse(readFileSync(args.tokensFile, 'utf8')) as Array<{ token: string }>;
let opened = 0;
let failed = 0;
let received = 0;
const sockets: WebSocket[] = [];
const MAX_PENDING = 200;
const PER_ADDRESS = 20_000; // ephemeral ports per (source, destination) pair are about 28,000

function open(i: number): void {
  const t = tokens[(args.offset + i) % tokens.length] as { token: string };
  const localAddress = `127.0.0.${args.addressBase + Math.floor(i / PER_ADDRESS)}`;
  const url = args.kind === 'careloop' ? `${args.url}?token=${encodeURIComponent(t.token)}` : args.url;
  const ws = new WebSocket(url, { localAddress, perMessageDeflate: false });
  sockets.push(ws);
  ws.on('open', () => {
    if (args.kind === 'centrifugo') {
      // Centrifugo's JSON protocol: connect with the JWT; its channels claim subscribes server-side.
      ws.send(JSON.stringify({ id: 1, connect: { token: t.token } }));
    }
    opened += 1;
  });
  ws.on('message', (data) => {
    const text = data.toString();
    if (args.kind === 'careloop') { if (text.includes('"type":"message"')) received += 1; return; }
    // Centrifugo batches frames with newlines; pings are {} and must be answered with {}.
    for (const line of text.split('\n')) {
      if (line === '{}') ws.send('{}');
      else if (line.includes('"push"') && line.includes('"pub"')) received += 1;
    }
  });
  ws.on('error', () => { failed += 1; });
}

// At most --open-rate new sockets a second and at most 200 handshakes in flight, so the server's
// accept queue never overflows (a dropped SYN would cost a retransmit second, not server work).
let next = 0;
const opener = setInterval(() => {
  for (let k = 0; k < args.rate / 10 && next < args.connections && next - opened - failed < MAX_PENDING; k += 1) open(next++);
  if (next >= args.connections) clearInterval(opener);
}, 100);
setInterval(() => { process.send?.({ opened, failed, received }); }, 100).unref();
process.on('message', (m) => { if (m === 'stop') { for (const s of sockets) s.terminate(); process.exit(0); } });
