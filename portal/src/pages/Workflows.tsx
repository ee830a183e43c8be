import { useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, org, type Problem, type Session } from '../api';
import { Card, Empty, Page, Show, Status, useAction, useAsync } from '../ui';

interface Wf { workflowId: string; name: string; latestVersion: number; activeVersion: number | null }
interface Version { workflowId: string; version: number; source: string; author: string; createdAt: string }

const NEW_WORKFLOW = `workflow "Check-in" version 1
languages en, es

on intent greeting
  say "Hello! How are you feeling today?" es: "¡Hola! ¿Cómo se siente hoy?"
end
`;
const DEFAULT_SCRIPT = JSON.stringify({ language: 'en', start: '2026-01-05T08:00:00Z', steps: [{ patient: 'hello' }, { expect: { reply: 'Hello' } }] }, null, 2);

/** The patient-facing texts of a workflow, in English and Spanish side by side (from its quoted strings). */
export function textsOf(source: string): Array<{ line: number; en: string; es: string }> {
  const out: Array<{ line: number; en: string; es: string }> = [];
  const lines = source.split('\n');
  let pendingEn: { line: number; text: string } | null = null;
  lines.forEach((raw, i) => {
    const l = raw.trim();
    if (l.startsWith('#')) return;
    const inline = /(?:say|ask\s+\w+:|reprompt)\s+"([^"]*)"(?:\s*\|\s*"[^"]*")*\s+es:\s*"([^"]*)"/.exec(l);
    if (inline) { out.push({ line: i + 1, en: inline[1] ?? '', es: inline[2] ?? '' }); return; }
    const en = /^en:\s*"([^"]*)"/.exec(l);
    if (en) { pendingEn = { line: i + 1, text: en[1] ?? '' }; return; }
    const es = /^es:\s*"([^"]*)"/.exec(l);
    if (es && pendingEn !== null) { out.push({ line: pendingEn.line, en: pendingEn.text, es: es[1] ?? '' }); pendingEn = null; return; }
    const only = /(?:say|ask\s+\w+:)\s+"([^"]*)"/.exec(l);
    if (only) out.push({ line: i + 1, en: only[1] ?? '', es: '' });
  });
  return out;
}

function Editor({ value, onChange, problems }: { value: string; onChange(v: string): void; problems: Problem[] }) {
  const gutter = useRef<HTMLDivElement>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const lines = value.split('\n').length;
  const bad = new Map<number, Problem>();
  for (const p of problems) if (!bad.has(p.line)) bad.set(p.line, p);
  return (
    <div className="editor">
      <div className="gutter" ref={gutter} aria-hidden="true">
        {Array.from({ length: lines }, (_, i) => {
          const p = bad.get(i + 1);
          return <div key={i} className={p === undefined ? '' : `problem-line ${p.severity}`} data-line={i + 1} title={p?.message}>{i + 1}</div>;
        })}
      </div>
      <textarea ref={area} aria-label="Workflow source" aria-invalid={problems.some((p) => p.severity === 'error')} aria-describedby="problems" spellCheck={false} value={value}
        onChange={(e) => onChange(e.target.value)} onScroll={(e) => { if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop; }}
        onKeyDown={(e) => { if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey) { e.preventDefault(); const t = e.currentTarget; const s = t.selectionStart; onChange(`${value.slice(0, s)}  ${value.slice(t.selectionEnd)}`); requestAnimationFrame(() => { t.selectionStart = t.selectionEnd = s + 2; }); } }} />
    </div>
  );
}

export function WorkflowsPage({ session }: { session: Session }) {
  const base = `${org(session)}/workflows`;
  const [list, reloadList] = useAsync(() => api<{ workflows: Wf[] }>(base), []);
  const [current, setCurrent] = useState<{ workflowId: string | null; version: number | null }>({ workflowId: null, version: null });
  const [source, setSource] = useState(NEW_WORKFLOW);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [checking, setChecking] = useState(false);
  const [checkError, setCheckError] = useState<Error | null>(null);
  const [script, setScript] = useState(DEFAULT_SCRIPT);
  const [sim, setSim] = useState<{ passed: boolean; entries: Array<Record<string, unknown>> } | null>(null);
  const [diff, setDiff] = useState<string | null>(null);
  const [s, run] = useAction();

  // Validation as you type: each pause of 350 ms checks the draft; the newest answer wins.
  const seq = useRef(0);
  useEffect(() => {
    const n = ++seq.current;
    setChecking(true);
    const t = setTimeout(() => {
      api<{ ok: boolean; problems: Problem[] }>(`${base}/validate`, { method: 'POST', body: { source } }).then(
        (r) => { if (n === seq.current) { setProblems(r.problems); setCheckError(null); setChecking(false); } },
        (e: Error) => { if (n === seq.current) { setCheckError(e); setChecking(false); } });
    }, 350);
    return () => clearTimeout(t);
  }, [source, base]);

  const errors = problems.filter((p) => p.severity === 'error');
  const texts = useMemo(() => textsOf(source), [source]);
  const open = (wf: Wf, version: number): void => {
    void run(async () => { const v = await api<Version>(`${base}/${encodeURIComponent(wf.workflowId)}/versions/${version}`); setSource(v.source); setCurrent({ workflowId: wf.workflowId, version }); setSim(null); setDiff(null); });
  };

  return (
    <Page title="Workflows" subtitle="Write, check, simulate and publish the conversations your patients have">
      <div className="split wide-right">
        <Card title="Workflows">
          <Show value={list} retry={reloadList}>{({ workflows }) => (
            <>
              {workflows.length === 0 ? <Empty>No workflows yet.</Empty> : (
                <ul className="wf-list">{workflows.map((w) => (
                  <li key={w.workflowId}>
                    <button className={`task ${current.workflowId === w.workflowId ? 'selected' : ''}`} onClick={() => open(w, w.activeVersion ?? w.latestVersion)}>
                      <strong>{w.name}</strong> <span className="muted">{w.workflowId} · latest v{w.latestVersion} · {w.activeVersion === null ? 'not published' : `live v${w.activeVersion}`}</span>
                    </button>
                    {current.workflowId === w.workflowId && w.latestVersion > 1 && (
                      <div className="row small-gap">
                        <button className="btn ghost small" onClick={() => void run(async () => { const r = await api<{ diff: string }>(`${base}/${encodeURIComponent(w.workflowId)}/diff?from=${w.latestVersion - 1}&to=${w.latestVersion}`); setDiff(r.diff); })}>Diff v{w.latestVersion - 1} → v{w.latestVersion}</button>
                        {w.activeVersion !== null && w.activeVersion > 1 && <button className="btn ghost small" onClick={() => void run(async () => { await api(`${base}/${encodeURIComponent(w.workflowId)}/rollback`, { method: 'POST', body: { version: (w.activeVersion as number) - 1 } }); reloadList(); return `Rolled back to v${(w.activeVersion as number) - 1}.`; })}>Roll back to v{w.activeVersion - 1}</button>}
                      </div>
                    )}
                  </li>))}</ul>
              )}
              <button className="btn secondary" onClick={() => { setSource(NEW_WORKFLOW); setCurrent({ workflowId: null, version: null }); setSim(null); setDiff(null); }}>New workflow</button>
            </>
          )}</Show>
        </Card>
        <div className="stack">
          <Card title={current.workflowId === null ? 'New workflow' : `${current.workflowId} · editing from v${current.version}`}>
            <Editor value={source} onChange={setSource} problems={problems} />
            <div id="problems" className="problems" aria-live="polite">
              {checking ? <span className="muted">Checking…</span> : checkError !== null ? <span className="bad">{checkError.message}</span>
                : problems.length === 0 ? <span className="good">No problems.</span>
                  : <ul>{problems.map((p, i) => <li key={i} className={p.severity}><button className="link" onClick={() => focusLine(p.line, p.column)}>{`line ${p.line}:${p.column}`}</button> {p.severity}: {p.message} <code>{p.code}</code></li>)}</ul>}
            </div>
            <div className="row">
              <button className="btn secondary" disabled={s.busy || errors.length > 0} onClick={() => void run(async () => {
                const r = await api<{ workflowId: string; version: number }>(base, { method: 'POST', body: { source } });
                setCurrent(r); reloadList(); return `Saved ${r.workflowId} v${r.version} (not published yet).`;
              })}>Save version</button>
              <button className="btn primary" disabled={s.busy || current.workflowId === null || current.version === null} onClick={() => void run(async () => {
                const r = await api<{ workflowId: string; version: number }>(`${base}/${encodeURIComponent(current.workflowId as string)}/versions/${current.version as number}/publish`, { method: 'POST' });
                reloadList(); return `Published ${r.workflowId} v${r.version}: new conversations use it now.`;
              })}>Publish v{current.version ?? '—'}</button>
            </div>
            <Status s={s} />
          </Card>
          <Card title="Patient-facing texts (English · Español)">
            {texts.length === 0 ? <Empty>No texts in this workflow.</Empty> : (
              <table className="texts"><thead><tr><th scope="col">Line</th><th scope="col" lang="en">English</th><th scope="col" lang="es">Español</th></tr></thead>
                <tbody>{texts.map((t) => <tr key={t.line}><td>{t.line}</td><td lang="en"><span className="bubble">{t.en}</span></td><td lang="es">{t.es === '' ? <span className="bad">missing</span> : <span className="bubble">{t.es}</span>}</td></tr>)}</tbody></table>
            )}
          </Card>
          <Card title="Simulator">
            <label htmlFor="script">Script (JSON: language, start, steps of patient / signal / advance / expect)</label>
            <textarea id="script" className="code" rows={8} value={script} onChange={(e) => setScript(e.target.value)} spellCheck={false} />
            <div className="row"><button className="btn secondary" disabled={s.busy || errors.length > 0} onClick={() => void run(async () => {
              let parsed: unknown;
              try { parsed = JSON.parse(script); } catch (e) { throw new ApiError(400, 'SCRIPT_INVALID', `the script is not JSON: ${(e as Error).message}`); }
              const r = await api<{ passed: boolean; entries: Array<Record<string, unknown>> }>(`${base}/simulate`, { method: 'POST', body: { source, script: parsed } });
              setSim(r); return r.passed ? 'Simulation passed.' : 'Simulation ran; an expectation failed.';
            })}>Simulate</button></div>
            {sim !== null && (
              <div className={`sim ${sim.passed ? 'passed' : 'failed'}`} data-passed={sim.passed}>
                <strong>{sim.passed ? 'Passed' : 'Failed'}</strong>
                <ol className="transcript">{sim.entries.map((e, i) => <li key={i}><code>{describe(e)}</code></li>)}</ol>
              </div>
            )}
          </Card>
          {diff !== null && <Card title="Version diff"><pre className="diff">{diff.split('\n').map((l, i) => <span key={i} className={l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : ''}>{l}{'\n'}</span>)}</pre></Card>}
        </div>
      </div>
    </Page>
  );
}

function describe(e: Record<string, unknown>): string {
  const kind = String(e['kind'] ?? '');
  const mark = kind === 'patient' ? '>' : kind === 'bot' ? '<' : kind === 'expectation' ? (e['ok'] === true ? '✓' : '✗') : '·';
  const text = typeof e['text'] === 'string' ? e['text'] : e['detail'] !== undefined ? JSON.stringify(e['detail']) : '';
  return `${String(e['at'] ?? '').slice(11, 16)} ${kind.padEnd(11)} ${mark} ${text}`;
}

function focusLine(line: number, column: number): void {
  const t = document.querySelector<HTMLTextAreaElement>('.editor textarea');
  if (t === null) return;
  const lines = t.value.split('\n');
  const pos = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + Math.max(0, column - 1);
  t.focus();
  t.setSelectionRange(pos, pos);
}
