import { useState } from 'react';
import { api, ApiError, org, type Session } from '../api';
import { credential } from '../auth';
import { Link } from '../router';
import { BarChart, type Series } from '../charts';
import { Card, Empty, ErrorBox, Page, pct, Show, useAsync } from '../ui';

interface Campaign { id: string; name: string; purpose?: string; workflowId?: string; period?: { from: string; to: string }; partnerIds?: string[] }
interface Cell { value?: number | null; suppressed?: boolean }
type Report = Record<string, unknown> & { campaignId: string; minCellSize?: number; reach?: Cell; engagement?: Record<string, unknown>; adherence?: { pre?: number | null; post?: number | null; change?: number | null; ci95?: [number, number] | null }; byWeek?: Array<Record<string, unknown>> };

function unavailable(e: Error): boolean {
  return e instanceof ApiError && (e.status === 404 && e.code === 'NOT_FOUND' || e.status === 405);
}

export function CampaignsPage({ session }: { session: Session }) {
  const [v, reload] = useAsync(() => api<{ campaigns: Campaign[] }>(`${org(session)}/campaigns`), []);
  return (
    <Page title="Campaigns" subtitle={session.role === 'partner' ? 'The campaigns shared with you' : 'Programmes for cohorts, and the partners who may see their reports'}>
      <Card>
        {v.state === 'error' && unavailable(v.error) ? <Empty>Campaign reports are not offered by this server yet.</Empty> : (
          <Show value={v} retry={reload}>{({ campaigns }) => campaigns.length === 0 ? <Empty>No campaigns.</Empty> : (
            <table><thead><tr><th scope="col">Campaign</th><th scope="col">Purpose</th><th scope="col">Period</th><th /></tr></thead>
              <tbody>{campaigns.map((c) => <tr key={c.id}><td><strong>{c.name}</strong></td><td>{c.purpose ?? '—'}</td><td>{c.period ? `${c.period.from} – ${c.period.to}` : '—'}</td><td><Link className="btn secondary small" to={`campaigns/${encodeURIComponent(c.id)}`}>Report</Link></td></tr>)}</tbody></table>
          )}</Show>
        )}
      </Card>
    </Page>
  );
}

async function download(path: string, name: string): Promise<void> {
  const c = credential();
  const res = await fetch(path, { headers: c === null ? {} : { authorization: `Bearer ${c.token}` } });
  if (!res.ok) throw new ApiError(res.status, `HTTP_${res.status}`, `the download failed (HTTP ${res.status})`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url; a.download = name; document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const cell = (c: Cell | undefined): string => (c === undefined ? '—' : c.suppressed === true || c.value === null || c.value === undefined ? 'suppressed' : String(c.value));
const isCell = (v: unknown): v is Cell => typeof v === 'object' && v !== null && 'suppressed' in v;
const show = (v: unknown): string => (isCell(v) ? (v.suppressed === true ? '< 11 (suppressed)' : String(v.value)) : v === null || v === undefined ? '—' : String(v));
const signedPct = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : `${x > 0 ? '+' : ''}${Math.round(x * 1000) / 10} pts`);

export function CampaignPage({ session, campaignId }: { session: Session; campaignId: string }) {
  const path = `${org(session)}/campaigns/${encodeURIComponent(campaignId)}/report`;
  const [v, reload] = useAsync(() => api<Report>(path), [campaignId]);
  const [err, setErr] = useState<Error | null>(null);
  return (
    <Page title="Campaign report" subtitle={campaignId} actions={<>
      <button className="btn secondary" onClick={() => download(`${path}?format=csv`, `${campaignId}.csv`).catch(setErr)}>Download CSV</button>
      <button className="btn secondary" onClick={() => download(`${path}?format=pdf`, `${campaignId}.pdf`).catch(setErr)}>Download PDF</button>
      <Link className="btn ghost" to="campaigns">All campaigns</Link></>}>
      {err !== null && <ErrorBox error={err} />}
      <Show value={v} retry={reload}>{(r) => {
        const weeks = r.byWeek ?? [];
        const cols = weeks.length > 0 ? Object.keys(weeks[0] ?? {}) : [];
        const measures = cols.filter((c) => c !== 'week');
        const series: Series[] = measures.map((m) => ({ name: m, points: weeks.map((w) => { const c = w[m]; return { x: String(w['week']), y: isCell(c) && c.suppressed !== true && typeof c.value === 'number' ? c.value : null }; }) }));
        const eng = r.engagement as { responded?: Cell; responseRate?: number | null } | undefined;
        const a = r.adherence as (Report['adherence'] & { comparison?: { change?: number | null; ci95?: [number, number] | null }; difference?: { value?: number | null; ci95?: [number, number] | null } }) | undefined;
        return (
          <>
            <p className="muted">{String((r as { name?: string }).name ?? '')} · weeks {String((r.period as { from?: string } | undefined)?.from ?? '')} to {String((r.period as { to?: string } | undefined)?.to ?? '')} · aggregates only; every cell under {r.minCellSize ?? 11} patients is suppressed{(r as { provisional?: boolean }).provisional === true ? ' · provisional' : ''}</p>
            <div className="kpis">
              <Card title="Reach"><p className="big-figure">{cell(r.reach)}</p><small>patients reached</small></Card>
              <Card title="Responded"><p className="big-figure">{cell(eng?.responded)}</p><small>{eng?.responseRate == null ? '—' : `${pct(eng.responseRate)} response rate`}</small></Card>
              <Card title="Adherence (PDC)"><p className="big-figure">{pct(a?.pre ?? null)} → {pct(a?.post ?? null)}</p><small>change {signedPct(a?.change)}{a?.ci95 ? ` (95 % CI ${signedPct(a.ci95[0])} to ${signedPct(a.ci95[1])})` : ''}</small></Card>
              <Card title="Against comparison"><p className="big-figure">{signedPct(a?.difference?.value)}</p><small>{a?.difference?.ci95 ? `95 % CI ${signedPct(a.difference.ci95[0])} to ${signedPct(a.difference.ci95[1])}` : 'no comparison'}</small></Card>
            </div>
            <Card title="By week">
              {weeks.length === 0 ? <Empty>No weekly figures.</Empty> : (
                <>
                  <BarChart series={series} ratio={false} label="Patients by week: sent and responded (suppressed weeks left out)" xLabel="ISO week" />
                  <div className="table-wrap"><table><thead><tr>{cols.map((c) => <th key={c} scope="col">{c}</th>)}</tr></thead>
                    <tbody>{weeks.map((w, i) => <tr key={i}>{cols.map((c) => <td key={c}>{show(w[c])}</td>)}</tr>)}</tbody></table></div>
                </>
              )}
            </Card>
          </>
        );
      }}</Show>
    </Page>
  );
}
