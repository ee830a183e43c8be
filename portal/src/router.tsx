import { useEffect, useState } from 'react';

const BASE = '/portal';

/** The app's path below /portal ('' for the dashboard), kept in step with the address bar. */
export function usePath(): string {
  const [path, setPath] = useState(current());
  useEffect(() => {
    const on = (): void => setPath(current());
    window.addEventListener('popstate', on);
    window.addEventListener('careloop:navigate', on);
    return () => { window.removeEventListener('popstate', on); window.removeEventListener('careloop:navigate', on); };
  }, []);
  return path;
}

function current(): string {
  return location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length).replace(/^\/+|\/+$/g, '') : '';
}

export function navigate(to: string, replace = false): void {
  const url = `${BASE}/${to.replace(/^\/+/, '')}`;
  if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
  window.dispatchEvent(new Event('careloop:navigate'));
  // Focus the new page's heading, so keyboard and screen-reader users land on it.
  setTimeout(() => document.getElementById('page-title')?.focus(), 0);
}

export function Link({ to, children, className, current: isCurrent }: { to: string; children: React.ReactNode; className?: string; current?: boolean }) {
  return <a href={`${BASE}/${to}`} className={className} aria-current={isCurrent ? 'page' : undefined} onClick={(e) => { if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return; e.preventDefault(); navigate(to); }}>{children}</a>;
}
