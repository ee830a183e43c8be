import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError } from './api';

export type Async<T> = { state: 'loading' } | { state: 'error'; error: ApiError | Error } | { state: 'ready'; data: T };

/** Loads once and again on reload(); keeps the last data visible while reloading. */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): [Async<T>, () => void] {
  const [value, setValue] = useState<Async<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    let live = true;
    loader.current().then((data) => { if (live) setValue({ state: 'ready', data }); }, (error: Error) => { if (live) setValue({ state: 'error', error }); });
    return () => { live = false; };
  }, [...deps, tick]);
  return [value, useCallback(() => setTick((t) => t + 1), [])];
}

export function Loading({ label = 'Loading' }: { label?: string }) {
  return <div className="loading" role="status" aria-live="polite"><span className="spinner" aria-hidden="true" />{label}…</div>;
}

export function ErrorBox({ error, retry }: { error: Error; retry?: () => void }) {
  const code = error instanceof ApiError ? error.code : null;
  return (
    <div className="error-box" role="alert">
      <strong>{code === 'FORBIDDEN' ? 'Not allowed' : 'Something went wrong'}</strong>
      <p>{error.message}{code !== null && <> <code>{code}</code></>}</p>
      {retry !== undefined && <button className="btn secondary" onClick={retry}>Try again</button>}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Show<T>({ value, retry, children }: { value: Async<T>; retry?: () => void; children: (data: T) => ReactNode }) {
  if (value.state === 'loading') return <Loading />;
  if (value.state === 'error') return <ErrorBox error={value.error} {...(retry ? { retry } : {})} />;
  return <>{children(value.data)}</>;
}

export function Page({ title, actions, children, subtitle }: { title: string; subtitle?: string; actions?: ReactNode; children: ReactNode }) {
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-head">
        <div><h1 id="page-title" tabIndex={-1}>{title}</h1>{subtitle !== undefined && <p className="subtitle">{subtitle}</p>}</div>
        {actions !== undefined && <div className="page-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

export function Card({ title, children, className }: { title?: string; children: ReactNode; className?: string }) {
  return <div className={`card ${className ?? ''}`}>{title !== undefined && <h2>{title}</h2>}{children}</div>;
}

/** A form action's running, failed or done state, announced to screen readers. */
export function useAction(): [{ busy: boolean; error: Error | null; done: string | null }, (fn: () => Promise<string | void>) => Promise<void>] {
  const [s, set] = useState<{ busy: boolean; error: Error | null; done: string | null }>({ busy: false, error: null, done: null });
  const run = useCallback(async (fn: () => Promise<string | void>) => {
    set({ busy: true, error: null, done: null });
    try { const done = await fn(); set({ busy: false, error: null, done: done ?? null }); } catch (error) { set({ busy: false, error: error as Error, done: null }); }
  }, []);
  return [s, run];
}

export function Status({ s }: { s: { busy: boolean; error: Error | null; done: string | null } }) {
  return (
    <div aria-live="polite" className="status-line">
      {s.error !== null && <ErrorBox error={s.error} />}
      {s.done !== null && <div className="ok-box" role="status">{s.done}</div>}
    </div>
  );
}

export const fmtTime = (iso: string): string => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const pct = (x: number | null): string => (x === null ? '—' : `${Math.round(x * 1000) / 10} %`);
