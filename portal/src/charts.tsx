// Hand-written SVG charts: a line chart (one line per series) and a grouped bar chart. Suppressed
// cells are gaps, never zeros; every chart has a text alternative (its table is on the page too).

export interface Point { x: string; y: number | null; suppressed?: boolean }
export interface Series { name: string; points: Point[] }

const COLORS = ['#0f766e', '#2563eb', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#65a30d', '#db2777'];
const W = 640, H = 260, L = 48, R = 12, T = 12, B = 40;

function xs(series: Series[]): string[] {
  const all = new Set<string>();
  for (const s of series) for (const p of s.points) all.add(p.x);
  return [...all].sort((a, b) => (/^\d+$/.test(a) && /^\d+$/.test(b) ? Number(a) - Number(b) : a.localeCompare(b)));
}

function scale(series: Series[], ratio: boolean): { max: number; ticks: number[] } {
  const max = ratio ? 1 : Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.y ?? 0)));
  const step = ratio ? 0.25 : Math.max(1, Math.ceil(max / 4));
  const ticks = Array.from({ length: 5 }, (_, i) => i * step);
  return { max: ratio ? 1 : step * 4, ticks };
}

function Axes({ labels, ticks, max, ratio, title }: { labels: string[]; ticks: number[]; max: number; ratio: boolean; title: string }) {
  const every = Math.max(1, Math.ceil(labels.length / 8));
  return (
    <g className="axes" aria-hidden="true">
      {ticks.map((t) => {
        const y = T + (H - T - B) * (1 - t / max);
        return <g key={t}><line x1={L} x2={W - R} y1={y} y2={y} className="grid" /><text x={L - 6} y={y + 4} textAnchor="end">{ratio ? `${Math.round(t * 100)}%` : t}</text></g>;
      })}
      {labels.map((l, i) => (i % every === 0 ? <text key={l} x={L + ((W - L - R) * (i + 0.5)) / labels.length} y={H - B + 16} textAnchor="middle">{l}</text> : null))}
      <text x={W / 2} y={H - 4} textAnchor="middle" className="axis-title">{title}</text>
    </g>
  );
}

export function Legend({ series }: { series: Series[] }) {
  return <ul className="legend">{series.map((s, i) => <li key={s.name}><span style={{ background: COLORS[i % COLORS.length] }} aria-hidden="true" />{s.name}</li>)}</ul>;
}

export function LineChart({ series, ratio, label, xLabel }: { series: Series[]; ratio: boolean; label: string; xLabel: string }) {
  const labels = xs(series);
  const { max, ticks } = scale(series, ratio);
  const x = (v: string): number => L + ((W - L - R) * (labels.indexOf(v) + 0.5)) / Math.max(1, labels.length);
  const y = (v: number): number => T + (H - T - B) * (1 - v / max);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} preserveAspectRatio="xMidYMid meet">
        <Axes labels={labels} ticks={ticks} max={max} ratio={ratio} title={xLabel} />
        {series.map((s, i) => {
          const color = COLORS[i % COLORS.length];
          // A suppressed or missing cell breaks the line.
          const segs: string[] = [];
          let cur = '';
          for (const l of labels) {
            const p = s.points.find((q) => q.x === l);
            if (p === undefined || p.y === null) { if (cur !== '') segs.push(cur); cur = ''; continue; }
            cur += `${cur === '' ? 'M' : 'L'}${x(l).toFixed(1)},${y(p.y).toFixed(1)}`;
          }
          if (cur !== '') segs.push(cur);
          return (
            <g key={s.name} className="series" data-series={s.name}>
              {segs.map((d) => <path key={d} d={d} fill="none" stroke={color} strokeWidth={2.5} />)}
              {s.points.filter((p) => p.y !== null).map((p) => <circle key={p.x} cx={x(p.x)} cy={y(p.y as number)} r={3.5} fill={color}><title>{`${s.name} · ${p.x}: ${ratio ? `${Math.round((p.y as number) * 1000) / 10} %` : p.y}`}</title></circle>)}
            </g>
          );
        })}
      </svg>
      <Legend series={series} />
    </figure>
  );
}

export function BarChart({ series, ratio, label, xLabel }: { series: Series[]; ratio: boolean; label: string; xLabel: string }) {
  const labels = xs(series);
  const { max, ticks } = scale(series, ratio);
  const band = (W - L - R) / Math.max(1, labels.length);
  const bw = Math.max(2, (band * 0.8) / Math.max(1, series.length));
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} preserveAspectRatio="xMidYMid meet">
        <Axes labels={labels} ticks={ticks} max={max} ratio={ratio} title={xLabel} />
        {series.map((s, i) => (
          <g key={s.name} className="series" data-series={s.name}>
            {s.points.filter((p) => p.y !== null).map((p) => {
              const h = ((H - T - B) * (p.y as number)) / max;
              return <rect key={p.x} x={L + band * labels.indexOf(p.x) + band * 0.1 + bw * i} y={H - B - h} width={bw - 1} height={h} fill={COLORS[i % COLORS.length]} rx={2}><title>{`${s.name} · ${p.x}: ${ratio ? `${Math.round((p.y as number) * 1000) / 10} %` : p.y}`}</title></rect>;
            })}
          </g>
        ))}
      </svg>
      <Legend series={series} />
    </figure>
  );
}
