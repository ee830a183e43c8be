import { useState } from 'react';
import { api, can, org, type Session } from '../api';
import { Card, Empty, fmtTime, Page, Show, Status, useAction, useAsync } from '../ui';

const ROLES = [
  { id: 'org_admin', label: 'Organisation admin', what: 'everything, including staff, keys and settings' },
  { id: 'care_team', label: 'Care team', what: 'patients, the inbox and conversations' },
  { id: 'analyst', label: 'Analyst', what: 'de-identified dashboards only' },
  { id: 'partner', label: 'Partner', what: 'reports of the campaigns shared with it' },
];
interface Staff { id: string; email: string; name: string; role: string; partnerId: string | null; createdAt: string }
interface Key { id: string; name: string; role: string; createdAt: string; revoked: boolean }

function RoleSelect({ id, value, onChange }: { id: string; value: string; onChange(v: string): void }) {
  return <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>{ROLES.map((r) => <option key={r.id} value={r.id}>{r.label} — {r.what}</option>)}</select>;
}

function StaffCard({ session }: { session: Session }) {
  const [v, reload] = useAsync(() => api<{ staff: Staff[] }>(`${org(session)}/staff`), []);
  const [form, setForm] = useState({ email: '', name: '', role: 'care_team', partnerId: '' });
  const [created, setCreated] = useState<{ email: string; initialPassword: string | null } | null>(null);
  const [s, run] = useAction();
  return (
    <Card title="Staff">
      <form className="form-grid" onSubmit={(e) => { e.preventDefault(); void run(async () => {
        const r = await api<Staff & { initialPassword: string | null }>(`${org(session)}/staff`, { method: 'POST', body: { email: form.email, name: form.name, role: form.role, ...(form.role === 'partner' ? { partnerId: form.partnerId } : {}) } });
        setCreated({ email: r.email, initialPassword: r.initialPassword }); setForm({ email: '', name: '', role: 'care_team', partnerId: '' }); reload(); return `Created ${r.email}.`;
      }); }}>
        <label htmlFor="staff-name">Name</label><input id="staff-name" required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        <label htmlFor="staff-email">E-mail</label><input id="staff-email" type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
        <label htmlFor="staff-role">Role</label><RoleSelect id="staff-role" value={form.role} onChange={(role) => setForm({ ...form, role })} />
        {form.role === 'partner' && <><label htmlFor="staff-partner">Partner id</label><input id="staff-partner" required pattern="[A-Za-z0-9_.:-]+" value={form.partnerId} onChange={(e) => setForm({ ...form, partnerId: e.target.value })} placeholder="pharma-x" /></>}
        <div /><button className="btn primary" type="submit" disabled={s.busy}>Add staff member</button>
      </form>
      <Status s={s} />
      {created?.initialPassword != null && <div className="ok-box" role="status">Initial password for {created.email}: <code className="secret">{created.initialPassword}</code> — shown once; hand it over safely.</div>}
      <Show value={v} retry={reload}>{({ staff }) => staff.length === 0 ? <Empty>No staff accounts yet.</Empty> : (
        <table className="staff"><thead><tr><th scope="col">Name</th><th scope="col">E-mail</th><th scope="col">Role</th><th scope="col">Since</th><th /></tr></thead>
          <tbody>{staff.map((m) => <tr key={m.id}><td>{m.name}</td><td>{m.email}</td><td>{m.role.replace('_', ' ')}{m.partnerId !== null ? ` (${m.partnerId})` : ''}</td><td>{fmtTime(m.createdAt)}</td>
            <td>{m.id !== session.id && <button className="btn ghost small" aria-label={`Remove ${m.name}`} onClick={() => { if (confirm(`Remove ${m.name}? They can no longer sign in.`)) void run(async () => { await api(`${org(session)}/staff/${m.id}`, { method: 'DELETE' }); reload(); return `Removed ${m.email}.`; }); }}>Remove</button>}</td></tr>)}</tbody></table>
      )}</Show>
    </Card>
  );
}

function KeysCard({ session }: { session: Session }) {
  const [v, reload] = useAsync(() => api<{ apiKeys: Key[] }>(`${org(session)}/api-keys`), []);
  const [name, setName] = useState('');
  const [role, setRole] = useState('analyst');
  const [token, setToken] = useState<string | null>(null);
  const [s, run] = useAction();
  return (
    <Card title="API keys">
      <form className="form-grid" onSubmit={(e) => { e.preventDefault(); void run(async () => { const r = await api<{ id: string; token: string }>(`${org(session)}/api-keys`, { method: 'POST', body: { name, role } }); setToken(r.token); setName(''); reload(); return 'Key created.'; }); }}>
        <label htmlFor="key-name">Name</label><input id="key-name" required value={name} onChange={(e) => setName(e.target.value)} placeholder="EHR integration" />
        <label htmlFor="key-role">Role</label><RoleSelect id="key-role" value={role} onChange={setRole} />
        <div /><button className="btn primary" type="submit" disabled={s.busy}>Create key</button>
      </form>
      <Status s={s} />
      {token !== null && <div className="ok-box" role="status">New key (shown once): <code className="secret">{token}</code></div>}
      <Show value={v} retry={reload}>{({ apiKeys }) => apiKeys.length === 0 ? <Empty>No API keys.</Empty> : (
        <table><thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Created</th><th scope="col">State</th><th /></tr></thead>
          <tbody>{apiKeys.map((k) => <tr key={k.id}><td>{k.name}</td><td>{k.role}</td><td>{fmtTime(k.createdAt)}</td><td>{k.revoked ? 'revoked' : 'active'}</td>
            <td>{!k.revoked && <button className="btn ghost small" onClick={() => void run(async () => { await api(`${org(session)}/api-keys/${k.id}`, { method: 'DELETE' }); reload(); return 'Key revoked.'; })}>Revoke</button>}</td></tr>)}</tbody></table>
      )}</Show>
    </Card>
  );
}

export function StaffPage({ session }: { session: Session }) {
  return (
    <Page title="Staff & API keys" subtitle="Who can sign in, with which role; keys for integrations">
      <div className="grid2">
        {can(session, 'settings:manage') && <StaffCard session={session} />}
        {can(session, 'api_keys:manage') && <KeysCard session={session} />}
      </div>
    </Page>
  );
}
