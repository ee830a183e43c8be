import { useState } from 'react';
import { api, org, type Session } from '../api';
import { BarChart, LineChart, type Series } from '../charts';
import { Card, Empty, Page, Show, useAsync } from '../ui';

interface Dashboard { dashboard: string; title: string; unit: string; xLabel: string; yLabel: string; from: string; to: string; minCellSize: number; series: Series[]; table: Array<Record<string, string | number | null>> }
const BOARDS: Array<{ id: string; label: string; chart: 'line' | 'bar' }> = [
  { id: 'adherence', label: 'Adherence by cohort and medication', chart: 'line' },
  { id: 'response', label: 'Response by hour and channel', chart: 'bar' },
  { id: 'engagement', label: 'Engagement over time', chart: 'line' },
  { id: 'experiments', label: 'Experiment results', chart: 'bar' },
];

function Board({ session, id, chart, days }: { session: Session; id: string; chart: 'line' | 'bar'; days: number }) {
  const [v, reload] = useAsync(() => api<Dashboard>(`${org(session)}/analytics/${id}?days=${days}`), [id, days]);
  return (
    <Card className="board" title={BOARDS.find((b) => b.id === id)?.label ?? id}>
      <Show value={v} retry={reload}>{(d) => {
        const suppressed = d.series.reduce((n, s) => n + s.points.filter((p) => p.suppressed === true).length, 0);
        return (
          <div data-dashboard={id}>
            <p className="muted">{d.title} · {d.from} to {d.to}{d.minCellSize > 1 ? ` · cells under ${d.minCellSize} patients are hidden` : ''}{suppressed > 0 ? ` (${suppressed} hidden)` : ''}</p>
            {d.series.length === 0 ? <Empty>No data in this period yet. Figures appear as patients chat and record doses.</Empty>
              : chart === 'line' ? <LineChart series={d.series} ratio={d.unit === 'ratio'} label={`${d.title}: ${d.yLabel} by ${d.xLabel}`} xLabel={d.xLabel} />
                : <BarChart series={d.series} ratio={d.unit === 'ratio'} label={`${d.title}: ${d.yLabel} by ${d.xLabel}`} xLabel={d.xLabel} />}
            {d.table.length > 0 && (
              <details><summary>Table ({d.table.length} {d.table.length === 1 ? 'row' : 'rows'})</summary>
                <div className="table-wrap"><table><thead><tr>{Object.keys(d.table[0] ?? {}).map((k) => <th key={k} scope="col">{k.replace(/_/g, ' ')}</th>)}</tr></thead>
                  <tbody>{d.table.map((r, i) => <tr key={i}>{Object.keys(d.table[0] ?? {}).map((k) => <td key={k}>{r[k] ?? '—'}</td>)}</tr>)}</tbody></table></div>
              </details>
            )}
          </div>
        );
      }}</Show>
    </Card>
  );
}

export function DashboardsPage({ session }: { session: Session }) {
  const [days, setDays] = useState(90);
  return (
    <Page title="Dashboards" subtitle="Reminders, adherence and engagement from the analytics model (pseudonymous aggregates)"
      actions={<label className="inline">Period <select value={days} onChange={(e) => setDays(Number(e.target.value))}><option value={7}>7 days</option><option value={30}>30 days</option><option value={90}>90 days</option><option value={365}>a year</option></select></label>}>
      <div className="grid2">{BOARDS.map((b) => <Board key={b.id} session={session} id={b.id} chart={b.chart} days={days} />)}</div>
    </Page>
  );
}
