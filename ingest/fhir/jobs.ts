import type pg from 'pg';
import { CareloopError } from '../../platform/errors.js';
import { randomBase62 } from '../../platform/vault/ids.js';

/* care.jobs: the asynchronous FHIR operations ($export, Bulk-style import) of one organisation. */

export type JobKind = 'import' | 'export';
export type JobState = 'queued' | 'running' | 'completed' | 'failed';

export interface Job {
  id: string;
  organizationId: string;
  kind: JobKind;
  state: JobState;
  requestedBy: string;
  progress: Record<string, unknown>;
  outcome: Record<string, unknown> | null;
  createdAt: Date;
}

type Q = pg.ClientBase | pg.Pool;

export async function createJob(q: Q, org: string, kind: JobKind, requestedBy: string, progress: Record<string, unknown> = {}): Promise<Job> {
  const id = `job_${randomBase62(22)}`;
  const { rows } = await q.query<{ created_at: Date }>(
    `INSERT INTO care.jobs (id, organization_id, kind, state, requested_by, progress) VALUES ($1, $2, $3, 'queued', $4, $5) RETURNING created_at`,
    [id, org, kind, requestedBy, JSON.stringify(progress)]);
  const createdAt = rows[0]?.created_at;
  if (createdAt === undefined) throw new CareloopError('INTERNAL', 'the job was not recorded');
  return { id, organizationId: org, kind, state: 'queued', requestedBy, progress, outcome: null, createdAt };
}

/** The job, only when it belongs to the organisation asking (another's is "not found"). */
export async function jobOf(q: Q, org: string, kind: JobKind, id: string): Promise<Job | null> {
  const { rows } = await q.query<{ id: string; organization_id: string; kind: JobKind; state: JobState; requested_by: string; progress: Record<string, unknown>; outcome: Record<string, unknown> | null; created_at: Date }>(
    'SELECT * FROM care.jobs WHERE id = $1 AND organization_id = $2 AND kind = $3', [id, org, kind]);
  const r = rows[0];
  return r === undefined ? null : { id: r.id, organizationId: r.organization_id, kind: r.kind, state: r.state, requestedBy: r.requested_by, progress: r.progress, outcome: r.outcome, createdAt: r.created_at };
}

export async function updateJob(q: Q, id: string, state: JobState, progress: Record<string, unknown>, outcome: Record<string, unknown> | null = null): Promise<void> {
  await q.query('UPDATE care.jobs SET state = $2, progress = $3, outcome = coalesce($4, outcome), updated_at = now() WHERE id = $1',
    [id, state, JSON.stringify(progress), outcome === null ? null : JSON.stringify(outcome)]);
}

export async function deleteJob(q: Q, org: string, kind: JobKind, id: string): Promise<boolean> {
  return ((await q.query('DELETE FROM care.jobs WHERE id = $1 AND organization_id = $2 AND kind = $3', [id, org, kind])).rowCount ?? 0) > 0;
}
