import { useEffect, useState } from 'react';
import { api, can, org, type Session } from '../api';
import { Card, Page, Show, Status, useAction, useAsync } from '../ui';

interface Settings { id: string; displayName: string; timezone: string; languages: string[]; emergencyNumber: string; crisisNumber: string; poisonControlNumber: string; careTeamContact: string; fallbackText: { en?: string; es?: string } }
const FIELDS: Array<{ key: keyof Settings; label: string; help: string; type?: string }> = [
  { key: 'displayName', label: 'Organisation name', help: 'shown to staff and in patient messages' },
  { key: 'timezone', label: 'Time zone', help: 'IANA name, e.g. America/New_York: reminders and quiet hours follow it' },
  { key: 'emergencyNumber', label: 'Emergency number', help: 'the assistant sends patients here in an emergency', type: 'tel' },
  { key: 'crisisNumber', label: 'Crisis line', help: 'for self-harm and mental-health crises', type: 'tel' },
  { key: 'poisonControlNumber', label: 'Poison control', help: 'for overdoses and poisoning', type: 'tel' },
  { key: 'careTeamContact', label: 'Care-team contact', help: 'pharmacist or nurse line for medication questions' },
];

export function SettingsPage({ session }: { session: Session }) {
  const [v, reload] = useAsync(() => api<Settings>(org(session)), []);
  return (
    <Page title="Organisation settings" subtitle={session.organizationId}>
      <Show value={v} retry={reload}>{(s) => <SettingsForm session={session} initial={s} />}</Show>
    </Page>
  );
}

function SettingsForm({ session, initial }: { session: Session; initial: Settings }) {
  const [form, setForm] = useState(initial);
  const [s, run] = useAction();
  const editable = can(session, 'settings:manage');
  useEffect(() => setForm(initial), [initial]);
  const changed = Object.fromEntries(Object.entries(form).filter(([k, val]) => JSON.stringify(val) !== JSON.stringify((initial as unknown as Record<string, unknown>)[k]) && k !== 'id' && k !== 'languages'));
  return (
    <form onSubmit={(e) => { e.preventDefault(); void run(async () => { const r = await api<Settings>(org(session), { method: 'PATCH', body: changed }); setForm(r); return 'Saved. Conversations use the new settings within 30 seconds.'; }); }}>
      <div className="grid2">
        <Card title="Organisation and safety">
          <div className="form-grid">
            {FIELDS.map((f) => (
              <div className="field" key={f.key}>
                <label htmlFor={`f-${f.key}`}>{f.label}</label>
                <input id={`f-${f.key}`} type={f.type ?? 'text'} value={String(form[f.key])} disabled={!editable} aria-describedby={`h-${f.key}`} onChange={(e) => setForm({ ...form, [f.key]: e.target.value })} />
                <small id={`h-${f.key}`}>{f.help}</small>
              </div>
            ))}
            <div className="field"><span className="label">Languages</span><p>{form.languages.join(', ')}</p></div>
          </div>
        </Card>
        <Card title="Fallback reply (English · Español)">
          <p className="muted">What patients read when the assistant cannot help; both languages are previewed as the patient sees them.</p>
          {(['en', 'es'] as const).map((lang) => (
            <div className="field" key={lang}>
              <label htmlFor={`fb-${lang}`}>{lang === 'en' ? 'English' : 'Español'}</label>
              <textarea id={`fb-${lang}`} lang={lang} rows={3} maxLength={500} disabled={!editable} value={form.fallbackText[lang] ?? ''} onChange={(e) => setForm({ ...form, fallbackText: { ...form.fallbackText, [lang]: e.target.value } })} />
              <div className="preview" lang={lang}><span className="bubble">{form.fallbackText[lang] || (lang === 'en' ? '(the built-in English text)' : '(el texto en español incorporado)')}</span></div>
            </div>
          ))}
        </Card>
      </div>
      {editable && <div className="row"><button className="btn primary" type="submit" disabled={s.busy || Object.keys(changed).length === 0}>Save settings</button></div>}
      <Status s={s} />
    </form>
  );
}
