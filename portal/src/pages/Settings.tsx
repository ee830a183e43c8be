import { useEffect, useState } from 'react';
import { api, can, org, type Session } from '../api';
import { Card, Page, Show, Status, useAction, useAsync } from '../ui';

interface Settings { id: string; displayName: string; timezone: string; languages: string[]; emergencyNumber: string; crisisNumber: string; poisonControlNumber: string; careTeamContact: string; fallbackText: { en?: string; es?: string }; reminders: Reminders }
interface Reminders { quietHours: { start: string; end: string } | null; dailyCap: number; caregiverMissedThreshold: number; sendTime: boolean }
const LANGUAGES = [['en', 'English'], ['es', 'Español']] as const;
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
  const differs = (a: unknown, b: unknown): boolean => JSON.stringify(a) !== JSON.stringify(b);
  const changed: Record<string, unknown> = Object.fromEntries(Object.entries(form).filter(([k, val]) => differs(val, (initial as unknown as Record<string, unknown>)[k]) && k !== 'id' && k !== 'reminders'));
  const reminderChanges = Object.fromEntries(Object.entries(form.reminders).filter(([k, val]) => differs(val, (initial.reminders as unknown as Record<string, unknown>)[k])));
  if (Object.keys(reminderChanges).length > 0) changed['reminders'] = reminderChanges;
  const rem = (patch: Partial<Reminders>): void => setForm({ ...form, reminders: { ...form.reminders, ...patch } });
  const quiet = form.reminders.quietHours;
  const quietInvalid = quiet !== null && quiet.start === quiet.end;
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
            <fieldset className="field">
              <legend>Languages</legend>
              {LANGUAGES.map(([code, name]) => (
                <label key={code} className="check"><input type="checkbox" disabled={!editable || (form.languages.length === 1 && form.languages.includes(code))} checked={form.languages.includes(code)}
                  onChange={(e) => setForm({ ...form, languages: e.target.checked ? LANGUAGES.map(([c]) => c).filter((c) => c === code || form.languages.includes(c)) : form.languages.filter((l) => l !== code) })} /> {name}</label>
              ))}
              <small>the languages patients are answered in (at least one)</small>
            </fieldset>
          </div>
        </Card>
        <Card title="Reminder delivery">
          <p className="muted">The organisation's defaults; a patient's own quiet hours and cap (set in chat) win over them.</p>
          <div className="form-grid">
            <fieldset className="field">
              <legend>Quiet hours</legend>
              <label className="check"><input type="checkbox" disabled={!editable} checked={quiet !== null} onChange={(e) => rem({ quietHours: e.target.checked ? { start: '21:00', end: '08:00' } : null })} /> No reminders at night</label>
              {quiet !== null && (
                <div className="row">
                  <label htmlFor="qh-start">From</label><input id="qh-start" type="time" disabled={!editable} value={quiet.start} aria-invalid={quietInvalid} onChange={(e) => rem({ quietHours: { ...quiet, start: e.target.value } })} />
                  <label htmlFor="qh-end">to</label><input id="qh-end" type="time" disabled={!editable} value={quiet.end} aria-invalid={quietInvalid} onChange={(e) => rem({ quietHours: { ...quiet, end: e.target.value } })} />
                </div>
              )}
              <small>{quietInvalid ? 'Quiet hours must start and end at different times.' : 'local time of the patient; a reminder due inside waits for the end'}</small>
            </fieldset>
            <div className="field">
              <label htmlFor="f-cap">Daily cap</label>
              <input id="f-cap" type="number" min={0} max={50} disabled={!editable} value={form.reminders.dailyCap} aria-describedby="h-cap" onChange={(e) => rem({ dailyCap: Math.max(0, Math.min(50, Number(e.target.value) || 0)) })} />
              <small id="h-cap">proactive messages a patient gets a day at most; 0: no cap</small>
            </div>
            <div className="field">
              <label htmlFor="f-cg">Tell caregivers after</label>
              <input id="f-cg" type="number" min={1} max={30} disabled={!editable} value={form.reminders.caregiverMissedThreshold} aria-describedby="h-cg" onChange={(e) => rem({ caregiverMissedThreshold: Math.max(1, Math.min(30, Number(e.target.value) || 1)) })} />
              <small id="h-cg">missed doses in a row (caregivers with consent only)</small>
            </div>
            <label className="check"><input type="checkbox" disabled={!editable} checked={form.reminders.sendTime} onChange={(e) => rem({ sendTime: e.target.checked })} /> Learn each patient's best time (moves movable reminders inside their window)</label>
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
      {editable && <div className="row"><button className="btn primary" type="submit" disabled={s.busy || quietInvalid || Object.keys(changed).length === 0}>Save settings</button></div>}
      <Status s={s} />
    </form>
  );
}
