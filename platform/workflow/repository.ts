import { CareloopError } from '../errors.js';
import { withTransaction, type PgPool } from '../storage/postgres.js';
import type { CompiledWorkflow } from './compiled.js';

export interface StoredVersion {
  organizationId: string;
  workflowId: string;
  version: number;
  source: string;
  compiled: CompiledWorkflow;
  author: string;
  createdAt: Date;
}

export interface WorkflowSummary {
  workflowId: string;
  name: string;
  latestVersion: number;
  activeVersion: number | null;
}

export interface Publication {
  organizationId: string;
  workflowId: string;
  version: number;
  kind: 'publish' | 'rollback';
  publishedBy: string;
  publishedAt: Date;
}

/** "Refill reminder" → "refill-reminder": the id a workflow is stored and published under. */
export function workflowIdOf(name: string): string {
  const id = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64);
  if (id === '') throw new CareloopError('VALIDATION_FAILED', 'the workflow name must contain letters or digits');
  return id;
}

/** Workflow versions in PostgreSQL: every version kept with its author and time, never changed. */
export class WorkflowRepository {
  constructor(private readonly pool: PgPool) {}

  /** Stores the next version (1, 2, …) of the workflow; concurrent saves get distinct numbers. */
  async createVersion(organizationId: string, workflowId: string, source: string, compiled: CompiledWorkflow, author: string): Promise<number> {
    return withTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`workflow:${organizationId}:${workflowId}`]);
      const { rows } = await client.query<{ next: number }>(
        'SELECT COALESCE(MAX(version), 0) + 1 AS next FROM workflow_versions WHERE organization_id = $1 AND workflow_id = $2', [organizationId, workflowId]);
      const version = rows[0]?.next ?? 1;
      await client.query(
        'INSERT INTO workflow_versions (organization_id, workflow_id, version, source, compiled, author) VALUES ($1, $2, $3, $4, $5, $6)',
        [organizationId, workflowId, version, source, JSON.stringify({ ...compiled, version }), author]);
      return version;
    });
  }

  async getVersion(organizationId: string, workflowId: string, version: number): Promise<StoredVersion | null> {
    const { rows } = await this.pool.query<{ source: string; compiled: CompiledWorkflow; author: string; created_at: Date }>(
      'SELECT source, compiled, author, created_at FROM workflow_versions WHERE organization_id = $1 AND workflow_id = $2 AND version = $3',
      [organizationId, workflowId, version]);
    const r = rows[0];
    return r === undefined ? null : { organizationId, workflowId, version, source: r.source, compiled: r.compiled, author: r.author, createdAt: r.created_at };
  }

  async list(organizationId: string): Promise<WorkflowSummary[]> {
    const { rows } = await this.pool.query<{ workflow_id: string; name: string; latest: number; active: number | null }>(
      `SELECT v.workflow_id, (array_agg(v.compiled->>'name' ORDER BY v.version DESC))[1] AS name, MAX(v.version) AS latest,
              (SELECT p.version FROM workflow_publications p WHERE p.organization_id = v.organization_id AND p.workflow_id = v.workflow_id ORDER BY p.id DESC LIMIT 1) AS active
         FROM workflow_versions v WHERE v.organization_id = $1 GROUP BY v.organization_id, v.workflow_id ORDER BY v.workflow_id`, [organizationId]);
    return rows.map((r) => ({ workflowId: r.workflow_id, name: r.name, latestVersion: r.latest, activeVersion: r.active }));
  }

  /** Records a publication at the caller's clock reading (the same instant the topic record carries). */
  async recordPublication(p: Publication): Promise<Publication> {
    await this.pool.query(
      'INSERT INTO workflow_publications (organization_id, workflow_id, version, kind, published_by, published_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [p.organizationId, p.workflowId, p.version, p.kind, p.publishedBy, p.publishedAt]);
    await this.pool.query('UPDATE workflow_versions SET published_at = COALESCE(published_at, $4) WHERE organization_id = $1 AND workflow_id = $2 AND version = $3',
      [p.organizationId, p.workflowId, p.version, p.publishedAt]);
    return p;
  }

  /** The active version of every published workflow, for a dialogue instance starting up. */
  async activeVersions(): Promise<Array<{ organizationId: string; workflowId: string; version: number; compiled: CompiledWorkflow; publishedAt: Date }>> {
    const { rows } = await this.pool.query<{ organization_id: string; workflow_id: string; version: number; compiled: CompiledWorkflow; published_at: Date }>(
      `SELECT DISTINCT ON (p.organization_id, p.workflow_id) p.organization_id, p.workflow_id, p.version, v.compiled, p.published_at
         FROM workflow_publications p JOIN workflow_versions v USING (organization_id, workflow_id, version)
        ORDER BY p.organization_id, p.workflow_id, p.id DESC`);
    return rows.map((r) => ({ organizationId: r.organization_id, workflowId: r.workflow_id, version: r.version, compiled: r.compiled, publishedAt: r.published_at }));
  }
}
