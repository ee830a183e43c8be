/** The fault suite's and the soak's printed tables (markdown), from their figures; no I/O. */
import type { AdherenceFigures } from './adherence.js';
import type { RowFigures } from './ledger.js';

const s = (ms: number | undefined | null): string => (ms === undefined || ms === null ? '-' : (ms / 1000).toFixed(ms < 10_000 ? 2 : 1));

export function faultTable(rows: readonly RowFigures[]): string {
  const head = '| fault | n | sent | replied | lost | visible dup | redelivered ids | out of order | reply p50 / p99 / max (s) | extra p99 (s) | recover, worst (s) | errors |';
  const lines = rows.map((r) => {
    const errors = Object.entries(r.errors).map(([k, v]) => `${k} ${v}`).join(', ') || '-';
    const recover = r.recoverMs.length === 0 ? '-' : s(Math.max(...r.recoverMs));
    return `| ${r.name} | ${r.faults} | ${r.sent} | ${r.replied} | ${r.lost} | ${r.visibleDuplicates} | ${r.redeliveredIds} | ${r.outOfOrder} | ${s(r.reply?.p50)} / ${s(r.reply?.p99)} / ${s(r.reply?.max)} | ${s(r.extraP99Ms)} | ${recover} | ${errors} |`;
  });
  return [head, `|${'---|'.repeat(12)}`, ...lines].join('\n');
}

/** True when the row meets the promise: nothing lost, nothing twice, nothing out of order. */
export function rowClean(r: RowFigures): boolean {
  return r.lost === 0 && r.visibleDuplicates === 0 && r.outOfOrder === 0;
}

export interface ProcessCost { service: string; cpuMsPerMessage: number; rssMB: number; restarts: number }

export function costTable(costs: readonly ProcessCost[], messages: number, load: readonly number[]): string {
  const lines = costs.map((c) => `| ${c.service} | ${c.cpuMsPerMessage.toFixed(2)} | ${c.rssMB} | ${c.restarts} |`);
  const total = costs.reduce((n, c) => n + c.cpuMsPerMessage, 0);
  return ['| process | CPU ms / message | RSS MB (end) | restarts |', '|---|---|---|---|', ...lines, `| all product processes | ${total.toFixed(2)} | | |`,
    '', `${messages} messages; load average ${load.map((l) => l.toFixed(2)).join(' / ')} (1, 5, 15 min)`].join('\n');
}

/** Adherence rows per fault row: recorded once per taken message, never twice. */
export function adherenceTable(rows: ReadonlyArray<{ name: string; f: AdherenceFigures }>, unexplained: number): string {
  const lines = rows.map(({ name, f }) => `| ${name} | ${f.takenMessages} | ${f.rows} | ${f.recordedTwice} | ${f.answeredWithoutRow} |`);
  return ['| fault | "taken" messages | adherence rows (PG) | recorded twice | answered, no row |', '|---|---|---|---|---|', ...lines,
    '', `adherence rows no message of the run explains (copies under a fresh id): ${unexplained}`].join('\n');
}

/** True when no adherence row was written twice or under a fresh id. */
export function adherenceClean(rows: ReadonlyArray<{ f: AdherenceFigures }>, unexplained: number): boolean {
  return unexplained === 0 && rows.every(({ f }) => f.recordedTwice === 0);
}
