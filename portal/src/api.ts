import { credential } from './auth';

export interface Problem { code: string; severity: string; message: string; line: number; column: number }

/** An error of the API's envelope: a stable code and a human message (and workflow problems). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly problems: Problem[] = []) { super(message); }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; raw?: boolean } = {}): Promise<T> {
  const c = credential();
  const headers: Record<string, string> = {};
  if (c !== null) headers['authorization'] = `Bearer ${c.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached. Check your connection and try again.');
  }
  if (res.status === 204) return undefined as T;
  if (init.raw === true && res.ok) return (await res.blob()) as T;
  const text = await res.text();
  let body: unknown = null;
  try { body = text === '' ? null : JSON.parse(text); } catch { body = { code: 'BAD_RESPONSE', message: text.slice(0, 200) }; }
  if (!res.ok) {
    const e = (body ?? {}) as { code?: string; message?: string; problems?: Problem[] };
    if (res.status === 401) window.dispatchEvent(new CustomEvent('careloop:unauthenticated'));
    throw new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? `request failed (HTTP ${res.status})`, e.problems ?? []);
  }
  return body as T;
}

export interface Session { kind: string; id: string; organizationId: string; role: string; permissions: string[]; name: string | null; email: string | null }
export const can = (s: Session, permission: string): boolean => s.permissions.includes(permission);
export const org = (s: Session): string => `/v1/organizations/${encodeURIComponent(s.organizationId)}`;
