import { useState } from 'react';
import { api, org, type Session } from '../api';
import { Card, Empty, fmtTime, Page, Show, Status, useAction, useAsync } from '../ui';

interface Event { id: string; seq: number; at: string; actorKind: string; actorId: string; action: string; patientId: string | null; purpose: string; outcome: string; reason: string | null; fields: string[]; resultCount: number | null }

export function AuditPage({ session }: { session: Session }) {
  const [filter, setFilter] = useState('');
  const [applied, setApplied] = useState('');
  const [v, reload] = useAsync(() => api<{ events: Event[]; next: number | null }>(`${org(session)}/audit/events?limit=200${applied !== '' ? `&action=${encodeURIComponent(applied)}` : ''}`), [applied]);
  const [verify, setVerify] = useState<{ ok: boolean; rows: number; firstBrokenId?: string; reason?: string } | null>(null);
  const [s, run] = useAction();
  return (
    <Page title="Audit log" subtitle="Every access to patient data and every security change, hash-chained so tampering shows"
      actions={<button className="btn primary" disabled={s.busy} onClick={() => void run(async () => { setVerify(await api(`${org(session)}/audit/verify`)); })}>{s.busy ? 'Verifying…' : 'Verify the chain'}</button>}>
      {verify !== null && (
        <div className={verify.ok ? 'ok-box' : 'error-box'} role="status" data-chain={verify.ok ? 'intact' : 'broken'}>
          {verify.ok ? `Chain intact: ${verify.rows} events verified.` : `Chain broken at event ${verify.firstBrokenId ?? '?'}: ${verify.reason ?? 'hash mismatch'}.`}
        </div>
      )}
      <Status s={s} />
      <Card>
        <form className="row" onSubmit={(e) => { e.preventDefault(); setApplied(filter.trim()); }}>
          <label className="inline" htmlFor="action-filter">Action starts with</label>
          <input id="action-filter" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="vault." pattern="[a-z_.]*" />
          <button className="btn secondary" type="submit">Filter</button>
          <button className="btn ghost" type="button" onClick={reload}>Refresh</button>
        </form>
        <Show value={v} retry={reload}>{({ events }) => events.length === 0 ? <Empty>No events.</Empty> : (
          <div className="table-wrap">
            <table className="audit"><thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Patient</th><th scope="col">Purpose</th><th scope="col">Outcome</th><th scope="col">Fields</th></tr></thead>
              <tbody>{events.map((e) => (
                <tr key={e.id} data-action={e.action}><td>{e.seq}</td><td>{fmtTime(e.at)}</td><td>{e.actorKind}:{e.actorId}</td><td><code>{e.action}</code></td><td>{e.patientId ?? '—'}</td><td>{e.purpose}</td>
                  <td><span className={`pill ${e.outcome === 'success' ? 'low' : 'urgent'}`}>{e.outcome}</span>{e.reason !== null ? ` ${e.reason}` : ''}</td><td>{e.fields.join(', ')}{e.resultCount !== null ? ` (${e.resultCount})` : ''}</td></tr>
              ))}</tbody></table>
          </div>
        )}</Show>
      </Card>
    </Page>
  );
}
