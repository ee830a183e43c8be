import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '../random/seeded.js';
import { buildReport, isoWeek, reportAsOf, reportCsv, type CampaignReport, type ReportFacts } from './report.js';
import { meanCi, suppressGrid, withMargins, type Cell } from './suppression.js';

const DAY = 86_400_000;

/**
 * Independent check (not the suppressor's code): a hidden cell is recoverable when the published
 * cells and the sums fix its value. Brute force: every assignment of the hidden interior cells in
 * 0..limit is tried, the margins recomputed and compared with the shown ones; a hidden cell (interior
 * or margin) that takes one value in every consistent completion is recoverable. A smaller search
 * domain finds fewer alternatives, so a capped limit only makes the check stricter.
 */
function recoverable(cells: Cell[][], limit: number): Array<[number, number]> {
  const R = cells.length - 1;
  const C = (cells[0]?.length ?? 1) - 1;
  const free: Array<[number, number]> = [];
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) if (cells[r]![c]!.suppressed) free.push([r, c]);
  const grid = cells.map((row) => row.map((c) => c.value ?? 0));
  const hiddenAll: Array<[number, number]> = [];
  cells.forEach((row, r) => row.forEach((c, j) => { if (c.suppressed) hiddenAll.push([r, j]); }));
  const seen = hiddenAll.map(() => new Set<number>());
  const full = grid.map((row) => [...row]);
  const check = (): void => {
    let total = 0;
    for (let r = 0; r < R; r++) {
      let sum = 0;
      for (let c = 0; c < C; c++) sum += full[r]![c]!;
      if (!cells[r]![C]!.suppressed && sum !== cells[r]![C]!.value) return;
      full[r]![C] = sum;
      total += sum;
    }
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let r = 0; r < R; r++) sum += full[r]![c]!;
      if (!cells[R]![c]!.suppressed && sum !== cells[R]![c]!.value) return;
      full[R]![c] = sum;
    }
    if (!cells[R]![C]!.suppressed && total !== cells[R]![C]!.value) return;
    full[R]![C] = total;
    hiddenAll.forEach(([r, c], i) => seen[i]!.add(full[r]![c]!));
  };
  const walk = (k: number): void => {
    if (k === free.length) { check(); return; }
    const [r, c] = free[k]!;
    for (let v = 0; v <= limit; v++) { full[r]![c] = v; walk(k + 1); }
  };
  walk(0);
  return hiddenAll.filter((_, i) => seen[i]!.size <= 1);
}

/** The search domain: a little above the largest hidden interior value (alternatives differ from the truth by small steps). */
function domain(interior: readonly (readonly number[])[]): number {
  return Math.max(0, ...interior.flat()) + 3;
}

function allCells(r: CampaignReport): Cell[] {
  return [r.reach, r.engagement.responded, r.engagement.notResponded, r.adherence.patients, r.adherence.comparison.patients,
    ...r.byWeek.flatMap((w) => [w.sent, w.responded, w.notResponded]), r.totals.sent, r.totals.responded, r.totals.notResponded];
}

/** A campaign of 3 weeks (2031-01-06 Mon .. 2031-01-26 Sun), with sends per week and responders as given. */
function facts(perWeek: Array<[number, number]>, pdc: { campaign: number; comparison: number } = { campaign: 30, comparison: 20 }): ReportFacts {
  const start = Date.parse('2031-01-06T09:00:00Z');
  const sends: Array<{ patientId: string; sentAt: number }> = [];
  const responded = new Set<string>();
  perWeek.forEach(([yes, no], w) => {
    for (let i = 0; i < yes + no; i++) {
      const id = `pt_w${w}_${i}`;
      sends.push({ patientId: id, sentAt: start + w * 7 * DAY + i * 60_000 });
      if (i < yes) responded.add(id);
    }
  });
  const rnd = seededRandom(7);
  const pairs = (n: number, lift: number): Array<{ pre: number; post: number }> => Array.from({ length: n }, () => {
    const pre = 0.5 + rnd() * 0.3;
    return { pre, post: Math.min(1, pre + lift + (rnd() - 0.5) * 0.1) };
  });
  return {
    campaign: { id: 'cm1', name: 'Synthetic', purpose: 'program-x', periodFrom: '2031-01-06', periodTo: '2031-01-26' },
    asOf: Date.parse('2031-01-27T00:00:00Z'), provisional: false, sends, responded,
    campaignPdc: pairs(pdc.campaign, 0.08), comparisonPdc: pairs(pdc.comparison, 0.01),
  };
}

describe('small-cell suppression', () => {
  test('no shown cell is under 11 and no hidden cell is recoverable, for many random tables', (t) => {
    const rnd = seededRandom(42);
    let hiddenTotal = 0;
    let checked = 0;
    for (let n = 0; n < 300; n++) {
      const rows = 1 + Math.floor(rnd() * 3);
      const interior = Array.from({ length: rows }, () => [Math.floor(rnd() * 30), Math.floor(rnd() * 30)]);
      const cells = suppressGrid(withMargins(interior, 2));
      for (const c of cells.flat()) {
        if (!c.suppressed) assert.ok((c.value as number) >= 11, `shown ${String(c.value)} in ${JSON.stringify(interior)}`);
        else assert.equal(c.value, null);
      }
      hiddenTotal += cells.flat().filter((c) => c.suppressed).length;
      // Interior values are under 30 here: searching 0..40 for the hidden interior cells covers them.
      if (cells.slice(0, rows).flatMap((row) => row.slice(0, 2)).filter((c) => c.suppressed).length <= 4) {
        assert.deepEqual(recoverable(cells, domain(interior)), [], `recoverable cell in ${JSON.stringify(interior)}: ${JSON.stringify(cells)}`);
        checked++;
      }
    }
    t.diagnostic(`300 random tables, ${hiddenTotal} hidden cells, ${checked} searched exhaustively for a recoverable cell`);
    assert.ok(checked > 150);
    assert.ok(hiddenTotal > 100, 'the random tables do have small cells');
  });

  test('a single small cell in a row is protected by a second one in its row AND its column (both ways)', () => {
    // responded/notResponded per week: only week 2's responders (5) are small.
    const cells = suppressGrid(withMargins([[40, 30], [5, 20], [25, 35]], 2));
    const hiddenAt = cells.flatMap((row, r) => row.map((c, j) => (c.suppressed ? `${r},${j}` : ''))).filter((x) => x !== '');
    assert.ok(hiddenAt.includes('1,0'), 'the small cell is hidden');
    const rowHidden = cells[1]!.filter((c) => c.suppressed).length;
    const colHidden = cells.map((row) => row[0]!).filter((c) => c.suppressed).length;
    assert.ok(rowHidden >= 2, `row sum would give it away: ${rowHidden}`);
    assert.ok(colHidden >= 2, `column sum would give it away: ${colHidden}`);
    assert.deepEqual(recoverable(cells, domain([[40, 30], [5, 20], [25, 35]])), []);
    // Primary suppression alone would leak it: the row total 25 minus the shown 20 gives 5 back.
    const naive = suppressGrid(withMargins([[40, 30], [5, 20], [25, 35]], 2), 11).map((row) => row.map((c) => c.suppressed));
    assert.ok(naive[1]![1] === true || naive[1]![2] === true, 'a complement is hidden in the row');
  });

  test('a small column total is hidden together with a second total, so the grand total does not give it away', () => {
    const cells = suppressGrid(withMargins([[3, 30], [4, 40]], 2));
    assert.equal(cells[2]![0]!.suppressed, true, 'column total 7 hidden');
    assert.deepEqual(recoverable(cells, domain([[3, 30], [4, 40]])), []);
  });
});

describe('the campaign report', () => {
  test('synthetic campaign: weeks, suppression with complements, adherence with intervals, rate', () => {
    const r = buildReport(facts([[30, 12], [6, 20], [18, 14]]));
    assert.deepEqual(r.byWeek.map((w) => w.week), ['2031-W02', '2031-W03', '2031-W04']);
    assert.equal(r.reach.value, 100);
    assert.deepEqual(r.byWeek[1]!.responded, { value: null, suppressed: true }, 'week W03 has 6 responders');
    for (const c of allCells(r)) if (!c.suppressed) assert.ok((c.value as number) >= 11);
    const grid: Cell[][] = [...r.byWeek.map((w) => [w.responded, w.notResponded, w.sent]), [r.totals.responded, r.totals.notResponded, r.totals.sent]];
    assert.deepEqual(recoverable(grid, 33), [], 'values up to 33 searched (the largest is 30)');
    assert.ok(r.adherence.change !== null && r.adherence.ci95 !== null && r.adherence.ci95[0] < r.adherence.change && r.adherence.change < r.adherence.ci95[1]);
    assert.ok(r.adherence.difference.value !== null && r.adherence.difference.value > 0.03, 'the synthetic lift (0.08 vs 0.01) shows');
    assert.equal(r.minCellSize, 11);
    assert.ok(!JSON.stringify(r).includes('pt_'), 'no patient id in the report');
    assert.ok(!/\d{4}-\d{2}-\d{2}/.test(JSON.stringify(r)), 'no date finer than a week');
  });

  test('groups under 11 get no means; the campaign group size hides when 1–10 reached patients lack PDC', () => {
    const small = buildReport(facts([[30, 12], [16, 20], [18, 14]], { campaign: 8, comparison: 30 }));
    assert.deepEqual([small.adherence.pre, small.adherence.change, small.adherence.ci95, small.adherence.difference.value], [null, null, null, null]);
    assert.equal(small.adherence.patients.suppressed, true);
    const gap = buildReport(facts([[30, 12], [16, 20], [18, 14]], { campaign: 105, comparison: 30 }));
    assert.equal(gap.reach.value, 110);
    assert.equal(gap.adherence.patients.suppressed, true, '110 reached − 105 with PDC = 5 would be a small cell');
    assert.notEqual(gap.adherence.change, null);
  });

  test('reproducible: the same facts give the same report, CSV and all; the as-of is the period end', () => {
    const a = buildReport(facts([[30, 12], [6, 20], [18, 14]]));
    const b = buildReport(facts([[30, 12], [6, 20], [18, 14]]));
    assert.deepEqual(a, b);
    assert.equal(reportCsv(a), reportCsv(b));
    const end = Date.parse('2031-01-27T00:00:00Z');
    assert.deepEqual(reportAsOf({ periodTo: '2031-01-26' }, end + 5 * DAY), { asOf: end, provisional: false });
    assert.deepEqual(reportAsOf({ periodTo: '2031-01-26' }, end + 400 * DAY), { asOf: end, provisional: false });
    const during = reportAsOf({ periodTo: '2031-01-26' }, Date.parse('2031-01-15T13:00:00Z'));
    assert.deepEqual(during, { asOf: Date.parse('2031-01-13T00:00:00Z'), provisional: true }, 'the Monday of the current week');
  });

  test('CSV: one line per cell, suppressed values empty', () => {
    const csv = reportCsv(buildReport(facts([[30, 12], [6, 20], [18, 14]])));
    const lines = csv.trim().split('\n');
    assert.equal(lines[0], 'section,week,measure,value,suppressed');
    assert.ok(lines.includes('byWeek,2031-W03,responded,,true'));
    assert.ok(lines.includes('reach,,patients,100,false'));
  });

  test('ISO weeks and the t interval', () => {
    assert.equal(isoWeek(Date.parse('2021-01-03T12:00:00Z')), '2020-W53');
    assert.equal(isoWeek(Date.parse('2021-01-04T00:00:00Z')), '2021-W01');
    assert.equal(isoWeek(Date.parse('2031-12-29T00:00:00Z')), '2032-W01');
    const m = meanCi([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.ok(m !== null);
    assert.equal(m.mean, 6);
    // sd = sqrt(11), se = sd/sqrt(11) = 1, t(10) = 2.228
    assert.deepEqual(m.ci95.map((x) => Math.round(x * 1000) / 1000), [3.772, 8.228]);
  });
});
