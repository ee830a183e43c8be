import { useEffect, useState } from 'react';
import { api, can, type Session } from './api';
import { credential, finishSignIn, loadConfig, signInWithApiKey, signOut, startSignIn, type PortalConfig } from './auth';
import { Link, navigate, usePath } from './router';
import { ErrorBox, Loading } from './ui';
import { DashboardsPage } from './pages/Dashboards';
import { InboxPage } from './pages/Inbox';
import { PatientPage, PatientsPage } from './pages/Patients';
import { WorkflowsPage } from './pages/Workflows';
import { AuditPage } from './pages/Audit';
import { StaffPage } from './pages/Staff';
import { SettingsPage } from './pages/Settings';
import { CampaignPage, CampaignsPage } from './pages/Campaigns';

interface NavItem { to: string; label: string; allowed(s: Session): boolean }
const NAV: NavItem[] = [
  { to: 'dashboards', label: 'Dashboards', allowed: (s) => can(s, 'analytics:read') || can(s, 'phi:read') },
  { to: 'inbox', label: 'Inbox', allowed: (s) => can(s, 'phi:read') },
  { to: 'patients', label: 'Patients', allowed: (s) => can(s, 'phi:read') },
  { to: 'workflows', label: 'Workflows', allowed: (s) => can(s, 'workflow:publish') },
  { to: 'campaigns', label: 'Campaigns', allowed: (s) => can(s, 'reports:read') },
  { to: 'audit', label: 'Audit log', allowed: (s) => can(s, 'audit:read') },
  { to: 'staff', label: 'Staff & keys', allowed: (s) => can(s, 'settings:manage') || can(s, 'api_keys:manage') },
  { to: 'settings', label: 'Settings', allowed: (s) => s.role !== 'partner' },
];

export function App() {
  const path = usePath();
  const [config, setConfig] = useState<PortalConfig | null>(null);
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<Error | null>(null);

  useEffect(() => { loadConfig().then(setConfig, setError); }, []);
  useEffect(() => {
    const expired = (): void => { signOut(); setSession(null); };
    window.addEventListener('careloop:unauthenticated', expired);
    return () => window.removeEventListener('careloop:unauthenticated', expired);
  }, []);
  useEffect(() => {
    if (config === null) return;
    if (path === 'callback') {
      finishSignIn(config).then((to) => { navigate(to === 'callback' ? '' : to, true); setSession(undefined); }, (e: Error) => { setError(e); navigate('', true); });
      return;
    }
    if (session !== undefined) return;
    if (credential() === null) { setSession(null); return; }
    api<Session>('/v1/session').then(setSession, (e: Error) => { signOut(); setSession(null); setError(e); });
  }, [config, path, session]);

  if (config === null) return error !== null ? <main className="center"><ErrorBox error={error} /></main> : <main className="center"><Loading label="Starting" /></main>;
  if (path === 'callback' || session === undefined) return <main className="center"><Loading label="Signing in" /></main>;
  if (session === null) return <SignIn config={config} error={error} returnTo={path} onApiKey={() => { setError(null); setSession(undefined); }} />;

  const items = NAV.filter((n) => n.allowed(session));
  const section = path.split('/')[0] ?? '';
  const home = items[0]?.to ?? 'settings';
  const allowed = section === '' || items.some((i) => i.to === section);
  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <Link to={home} className="brand">Careloop</Link>
        <nav aria-label="Main">
          <ul>{items.map((n) => <li key={n.to}><Link to={n.to} current={section === n.to || (section === '' && n.to === home)}>{n.label}</Link></li>)}</ul>
        </nav>
        <div className="who">
          <span title={session.organizationId}><strong>{session.name ?? (session.kind === 'api_key' ? 'API key' : session.id)}</strong> · {session.role.replace('_', ' ')} · {session.organizationId}</span>
          <button className="btn ghost" onClick={() => { signOut(); setSession(null); navigate('', true); }}>Sign out</button>
        </div>
      </header>
      <main id="main" className="content">
        {!allowed ? <ErrorBox error={new Error('Your role does not open this page.')} /> : <Route path={section === '' ? home : path} session={session} />}
      </main>
    </div>
  );
}

function Route({ path, session }: { path: string; session: Session }) {
  const [section, id] = path.split('/');
  switch (section) {
    case 'dashboards': return <DashboardsPage session={session} />;
    case 'inbox': return <InboxPage session={session} />;
    case 'patients': return id === undefined ? <PatientsPage session={session} /> : <PatientPage session={session} patientId={decodeURIComponent(id)} />;
    case 'workflows': return <WorkflowsPage session={session} />;
    case 'campaigns': return id === undefined ? <CampaignsPage session={session} /> : <CampaignPage session={session} campaignId={decodeURIComponent(id)} />;
    case 'audit': return <AuditPage session={session} />;
    case 'staff': return <StaffPage session={session} />;
    case 'settings': return <SettingsPage session={session} />;
    default: return <ErrorBox error={new Error('There is no such page.')} />;
  }
}

function SignIn({ config, error, returnTo, onApiKey }: { config: PortalConfig; error: Error | null; returnTo: string; onApiKey(): void }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<Error | null>(error);
  return (
    <main className="center">
      <div className="signin card">
        <div className="brand big">Careloop</div>
        <h1>Staff portal</h1>
        <p className="subtitle">Workflows, the care-team inbox, patients and reports of your organisation.</p>
        {err !== null && <ErrorBox error={err} />}
        {config.issuer !== '' && (
          <button className="btn primary wide" disabled={busy} onClick={() => { setBusy(true); startSignIn(config, returnTo).catch((e: Error) => { setBusy(false); setErr(e); }); }}>
            {busy ? 'Opening sign-in…' : 'Sign in with your organisation account'}
          </button>
        )}
        <details className="apikey" open={config.issuer === ''}>
          <summary>Use an API key instead</summary>
          <form onSubmit={(e) => { e.preventDefault(); if (!key.trim().startsWith('ck_')) { setErr(new Error('An API key starts with ck_.')); return; } signInWithApiKey(key); onApiKey(); }}>
            <label htmlFor="apikey">API key</label>
            <input id="apikey" type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} placeholder="ck_…" />
            <button className="btn secondary wide" type="submit">Sign in with the key</button>
          </form>
        </details>
      </div>
    </main>
  );
}
