/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions and the packages with the most
 * self time. Usage: node dist/perf/cpuprofile-top.js FILE.cpuprofile [--top N]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

interface Row { name: string; selfMs: number; share: number }

/** Where a script belongs: a package under node_modules, a repo folder, node's internals, or V8. */
function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1] !== undefined) return pkg[1];
  if (url.startsWith('node:')) return 'node internals';
  const repo = /\/dist\/([^/]+\/(?:[^/]+\/)?)/.exec(url);
  return repo?.[1] ?? url;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url === '' ? '' : ` ${url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}`;
  return `${functionName === '' ? '(anonymous)' : functionName}${where}`;
}

/** Self time per function and per area; the time of a sample is the delta to the next one. */
function summariseProfile(profile: CpuProfile): { totalMs: number; functions: Row[]; areas: Row[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (node === undefined) return;
    total += us;
    const key = label(node);
    fn.set(key, (fn.get(key) ?? 0) + us);
    const a = areaOf(node.callFrame.url, node.callFrame.functionName);
    area.set(a, (area.get(a) ?? 0) + us);
  });
  const rows = (m: Map<string, number>): Row[] => [...m]
    .map(([name, us]) => ({ name, selfMs: Math.round(us / 1000), share: total > 0 ? Math.round((us / total) * 1000) / 10 : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs: Math.round(total / 1000), functions: rows(fn), areas: rows(area) };
}

function print(title: string, rows: readonly Row[], top: number): void {
  console.log(`\n${title}\n${'self ms'.padStart(9)}${'%'.padStart(7)}  name`);
  for (const r of rows.slice(0, top)) console.log(`${String(r.selfMs).padStart(9)}${r.share.toFixed(1).padStart(7)}  ${r.name}`);
}

function main(): number {
  let file: string | undefined;
  let top = 25;
  try {
    const { values, positionals } = parseArgs({ options: { top: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (values.help === true || positionals.length !== 1) {
      console.log('Usage: node dist/perf/cpuprofile-top.js FILE.cpuprofile [--top N]');
      return values.help === true ? 0 : 2;
    }
    file = positionals[0];
    if (values.top !== undefined) {
      top = Number(values.top);
      if (!Number.isInteger(top) || top < 1) throw new Error(`--top must be a positive whole number; got "${values.top}"`);
    }
  } catch (err) {
    console.error(`cpuprofile-top: ${(err as Error).message}`);
    return 2;
  }
  const summary = summariseProfile(JSON.parse(readFileSync(file ?? '', 'utf8')) as CpuProfile);
  console.log(`${file}: ${(summary.totalMs / 1000).toFixed(1)} s sampled`);
  print('by package or folder (self time)', summary.areas, top);
  print('by function (self time)', summary.functions, top);
  return 0;
}

process.exitCode = main();
