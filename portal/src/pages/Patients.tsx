import { useState } from 'react';
import { api, org, type Session } from '../api';
import { Link } from '../router';
import { Card, Empty, Page, pct, Show, Status, useAction, useAsync } from '../ui';
import { Conversation } from './Inbox';

interface Summary { id: string; status: string; preferredLanguage: string }
interface Identity { givenName?: string; familyName?: string; phone?: string; email?: string; birthDate?: string; mrn?: string }
interface Patient { id: string; status: string; preferredLanguage: string; identity: Identity; medications: Array<{ name: string; dose: string; times: string[]; instructions: string }> }
interface Adherence { days: number; recorded: number; taken: number; adherence: number | null; byDay: Array<{ day: string; recorded: number; taken: number }>; medications: Array<{ name: string; recorded: number; taken: number }> }

export function PatientsPage({ session }: { session: Session }) {
  const [by, setBy] = useState<'phone' | 'mrn'>('phone');
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Summary[] | null>(null);
  const [s, run] = useAction();
  return (
    <Page title="Patients" subtitle="Find a patient by phone number or MRN. The search is recorded in the audit log; results show pseudonymous ids only.">
      <Card>
        <form className="search" role="search" onSubmit={(e) => { e.preventDefault(); void run(async () => { const r = await api<{ patients: Summary[] }>(`${org(session)}/patients/search?${by}=${encodeURIComponent(q.trim())}`); setFound(r.patients); }); }}>
          <fieldset className="segmented"><legend className="sr-only">Search by</legend>
            <label><input type="radio" name="by" checked={by === 'phone'} onChange={() => setBy('phone')} /> Phone</label>
            <label><input type="radio" name="by" checked={by === 'mrn'} onChange={() => setBy('mrn')} /> MRN</label>
          </fieldset>
          <label htmlFor="q" className="sr-only">{by === 'phone' ? 'Phone number' : 'Medical record number'}</label>
          <input id="q" value={q} onChange={(e) => setQ(e.target.value)} placeholder={by === 'phone' ? '+1 555 010 0101' : 'MRN'} required />
          <button className="btn primary" type="submit" disabled={s.busy}>{s.busy ? 'Searching…' : 'Search'}</button>
        </form>
        <Status s={s} />
        {found !== null && (found.length === 0 ? <Empty>No patient with this {by === 'phone' ? 'phone number' : 'MRN'}.</Empty> : (
          <table className="results"><thead><tr><th scope="col">Patient (pseudonymous id)</th><th scope="col">Status</th><th scope="col">Language</th><th /></tr></thead>
            <tbody>{found.map((p) => <tr key={p.id}><td><code>{p.id}</code></td><td>{p.status}</td><td>{p.preferredLanguage}</td><td><Link to={`patients/${encodeURIComponent(p.id)}`} className="btn secondary small">Open</Link></td></tr>)}</tbody></table>
        ))}
      </Card>
    </Page>
  );
}

export function PatientPage({ session, patientId }: { session: Session; patientId: string }) {
  const base = `${org(session)}/patients/${encodeURIComponent(patientId)}`;
  const [patient, setPatient] = useState<Patient | null>(null);
  const [s, run] = useAction();
  const [conv, reloadConv] = useAsync(() => api<{ messages: Array<{ id: string; from: string; text: string; at: string }> }>(`${base}/conversation`), [patientId]);
  const [adh, reloadAdh] = useAsync(() => api<Adherence>(`${base}/adherence?days=30`), [patientId]);
  return (
    <Page title="Patient" subtitle={patientId} actions={<Link to="patients" className="btn ghost">Back to search</Link>}>
      <div className="grid2">
        <Card title="Identity">
          {patient === null ? (
            <>
              <p className="muted">The identity is sealed in the vault. Revealing it is recorded in the audit log with your name.</p>
              <button className="btn primary" disabled={s.busy} onClick={() => void run(async () => { setPatient(await api<Patient>(base)); return 'Identity revealed and audited.'; })}>Reveal identity</button>
            </>
          ) : (
            <>
              <dl className="facts" aria-label="Identity">
                <dt>Name</dt><dd>{[patient.identity.givenName, patient.identity.familyName].filter(Boolean).join(' ') || '—'}</dd>
                <dt>Phone</dt><dd>{patient.identity.phone ?? '—'}</dd><dt>Date of birth</dt><dd>{patient.identity.birthDate ?? '—'}</dd>
                <dt>MRN</dt><dd>{patient.identity.mrn ?? '—'}</dd><dt>Language</dt><dd>{patient.preferredLanguage}</dd><dt>Status</dt><dd>{patient.status}</dd>
              </dl>
              <h3>Medications</h3>
              {patient.medications.length === 0 ? <Empty>No active medications.</Empty> : <ul className="meds">{patient.medications.map((m) => <li key={m.name}><strong>{m.name}</strong> {m.dose} {m.times.length > 0 && <span className="muted">at {m.times.join(', ')}</span>}</li>)}</ul>}
            </>
          )}
          <Status s={s} />
        </Card>
        <Card title="Adherence (30 days)">
          <Show value={adh} retry={reloadAdh}>{(a) => a.recorded === 0 ? <Empty>No doses recorded in the last 30 days.</Empty> : (
            <>
              <p className="big-figure">{pct(a.adherence)} <span className="muted">of {a.recorded} recorded doses taken</span></p>
              <ul className="bars" aria-label="Doses by day">{a.byDay.map((d) => <li key={d.day} title={`${d.day}: ${d.taken} of ${d.recorded}`}><span style={{ height: `${Math.round((d.taken / Math.max(1, d.recorded)) * 100)}%` }} /><small>{d.day.slice(5)}</small></li>)}</ul>
              <table><thead><tr><th scope="col">Medication</th><th scope="col">Taken</th><th scope="col">Recorded</th></tr></thead><tbody>{a.medications.map((m) => <tr key={m.name}><td>{m.name}</td><td>{m.taken}</td><td>{m.recorded}</td></tr>)}</tbody></table>
            </>
          )}</Show>
        </Card>
      </div>
      <Card title="Conversation">
        <Show value={conv} retry={reloadConv}>{(c) => <Conversation messages={c.messages} />}</Show>
      </Card>
    </Page>
  );
}
