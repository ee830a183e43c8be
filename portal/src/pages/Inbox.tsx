import { useState } from 'react';
import { api, org, type Session } from '../api';
import { Card, Empty, ErrorBox, fmtTime, Page, Show, Status, useAction, useAsync } from '../ui';

interface Task { id: string; patientId: string; kind: string; priority: string; reason: string; status: string; channel: string; language: string; overdue: boolean; createdAt: string; dueAt: string; claimedBy: string | null; replies: number; hasMessage: boolean }
interface Detail extends Task { message: string | null }
interface Msg { id: string; from: string; text: string; at: string }
const OUTCOMES = ['resolved', 'referred', 'emergency_services', 'no_action_needed', 'patient_unreachable', 'duplicate'];

function TaskPanel({ session, taskId, onChange }: { session: Session; taskId: string; onChange(): void }) {
  const base = `${org(session)}/tasks/${encodeURIComponent(taskId)}`;
  const [t, reloadT] = useAsync(() => api<Detail>(base), [taskId]);
  const [c, reloadC] = useAsync(() => api<{ messages: Msg[] }>(`${base}/conversation`), [taskId]);
  const [text, setText] = useState('');
  const [outcome, setOutcome] = useState('resolved');
  const [s, run] = useAction();
  const refresh = (): void => { reloadT(); reloadC(); onChange(); };
  return (
    <Card className="task-panel" title="Task">
      <Show value={t} retry={reloadT}>{(task) => (
        <>
          <dl className="facts">
            <dt>Patient</dt><dd><code>{task.patientId}</code></dd><dt>Reason</dt><dd>{task.reason.replace(/_/g, ' ')}</dd>
            <dt>Priority</dt><dd><span className={`pill ${task.priority}`}>{task.priority}</span></dd><dt>Status</dt><dd>{task.status}{task.claimedBy !== null ? ` by ${task.claimedBy}` : ''}</dd>
            <dt>Channel</dt><dd>{task.channel} · {task.language}</dd><dt>Due</dt><dd>{fmtTime(task.dueAt)}{task.overdue ? ' (overdue)' : ''}</dd>
          </dl>
          {task.message !== null && <blockquote className="patient-words">“{task.message}”</blockquote>}
          <h3>Conversation</h3>
          <Show value={c} retry={reloadC}>{(conv) => <Conversation messages={conv.messages} />}</Show>
          {task.status !== 'resolved' && (
            <>
              <form className="reply" onSubmit={(e) => { e.preventDefault(); void run(async () => { await api(`${base}/replies`, { method: 'POST', body: { text } }); setText(''); refresh(); return 'Reply sent to the patient.'; }); }}>
                <label htmlFor="reply">Reply to the patient ({task.language === 'es' ? 'Spanish' : 'English'})</label>
                <textarea id="reply" rows={3} value={text} onChange={(e) => setText(e.target.value)} required maxLength={2000} />
                <div className="row">
                  <button className="btn primary" type="submit" disabled={s.busy || text.trim() === ''}>Send reply</button>
                  {task.status === 'open' && <button className="btn secondary" type="button" disabled={s.busy} onClick={() => void run(async () => { await api(`${base}/claim`, { method: 'POST' }); refresh(); return 'You hold this conversation; the assistant stays quiet.'; })}>Claim</button>}
                </div>
              </form>
              <form className="row" onSubmit={(e) => { e.preventDefault(); void run(async () => { await api(`${base}/resolve`, { method: 'POST', body: { outcome } }); refresh(); return 'Task resolved; the assistant resumes.'; }); }}>
                <label className="inline">Outcome <select value={outcome} onChange={(e) => setOutcome(e.target.value)}>{OUTCOMES.map((o) => <option key={o} value={o}>{o.replace(/_/g, ' ')}</option>)}</select></label>
                <button className="btn secondary" type="submit" disabled={s.busy}>Resolve</button>
              </form>
            </>
          )}
          <Status s={s} />
        </>
      )}</Show>
    </Card>
  );
}

export function Conversation({ messages }: { messages: Msg[] }) {
  if (messages.length === 0) return <Empty>No messages kept for this patient.</Empty>;
  return <ol className="conversation" aria-label="Conversation">{messages.map((m) => <li key={m.id} className={m.from === 'patient' ? 'from-patient' : 'from-assistant'}><span className="who-said">{m.from}</span><p>{m.text}</p><time dateTime={m.at}>{fmtTime(m.at)}</time></li>)}</ol>;
}

export function InboxPage({ session }: { session: Session }) {
  const [status, setStatus] = useState('unresolved');
  const [selected, setSelected] = useState<string | null>(null);
  const [v, reload] = useAsync(() => api<{ tasks: Task[] }>(`${org(session)}/tasks?status=${status}&limit=100`), [status]);
  return (
    <Page title="Care-team inbox" subtitle="Escalations and handoffs: claim, answer the patient, resolve"
      actions={<><label className="inline">Show <select value={status} onChange={(e) => setStatus(e.target.value)}><option value="unresolved">unresolved</option><option value="open">open</option><option value="claimed">claimed</option><option value="resolved">resolved</option></select></label><button className="btn secondary" onClick={reload}>Refresh</button></>}>
      <div className="split">
        <Card title="Tasks">
          <Show value={v} retry={reload}>{({ tasks }) => tasks.length === 0 ? <Empty>Nothing waiting. New escalations appear here.</Empty> : (
            <ul className="task-list">{tasks.map((t) => (
              <li key={t.id}><button className={`task ${selected === t.id ? 'selected' : ''}`} aria-pressed={selected === t.id} onClick={() => setSelected(t.id)}>
                <span className={`pill ${t.priority}`}>{t.priority}</span> <strong>{t.reason.replace(/_/g, ' ')}</strong> <span className="muted">{t.patientId} · {t.status}{t.overdue ? ' · overdue' : ''}</span>
              </button></li>))}</ul>
          )}</Show>
        </Card>
        {selected === null ? <Card><Empty>Choose a task to read the patient’s words and answer.</Empty></Card> : <TaskPanel key={selected} session={session} taskId={selected} onChange={reload} />}
      </div>
      {v.state === 'error' && v.error.message.includes('lacks') && <ErrorBox error={v.error} />}
    </Page>
  );
}
