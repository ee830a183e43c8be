import type { Progress } from './run.js';

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** One progress line: bar (TTY only), percentage, resources, resources/s, rejects, ETA. */
export function progressLine(p: Progress, tty: boolean, width = 30): string {
  const frac = p.bytesTotal === 0 ? 1 : Math.min(1, p.bytesDone / p.bytesTotal);
  const rate = p.elapsedMs > 0 ? (p.resources * 1000) / p.elapsedMs : 0;
  const eta = frac > 0 && frac < 1 ? clock((p.elapsedMs / frac) * (1 - frac)) : frac >= 1 ? '0:00' : '?';
  const filled = Math.round(frac * width);
  const bar = tty ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
  return `${bar}${(frac * 100).toFixed(1).padStart(5)}%  ${p.resources} resources  ${Math.round(rate)}/s  ${p.rejected} rejected  elapsed ${clock(p.elapsedMs)}  ETA ${eta}`;
}

/** A real bar redrawn in place on a TTY; plain lines every `everyMs` otherwise (logs, CI). */
export function progressReporter(out: NodeJS.WriteStream, everyMs = 5000): (p: Progress) => void {
  const tty = out.isTTY;
  let last = 0;
  return (p) => {
    if (tty) { out.write(`\r${progressLine(p, true)}\x1b[K`); return; }
    if (p.elapsedMs - last >= everyMs || p.bytesDone >= p.bytesTotal) { last = p.elapsedMs; out.write(`${progressLine(p, false)}\n`); }
  };
}
