import type { WorkflowPublished } from '../../schemas/generated/avro-types.js';
import type { CompiledWorkflow } from '../../platform/workflow/compiled.js';
import type { WorkflowRepository } from '../../platform/workflow/repository.js';
import type { ActiveWorkflow } from './programs.js';

/**
 * The published workflows every dialogue instance runs. Primed from PostgreSQL at start, then kept
 * current from the compacted config.workflows topic; a publish replaces one map entry, an atomic swap
 * between two messages. Older versions that conversations in flight still need load on demand.
 */
export class WorkflowRegistry {
  private readonly active = new Map<string, Map<string, ActiveWorkflow>>();
  private readonly versions = new Map<string, CompiledWorkflow>();

  constructor(private readonly repo: WorkflowRepository) {}

  async prime(): Promise<void> {
    for (const a of await this.repo.activeVersions()) {
      this.set(a.organizationId, { workflowId: a.workflowId, version: a.version, compiled: a.compiled, publishedAt: a.publishedAt.getTime() });
    }
  }

  /** Applies a publication from the topic; an older one (a replay) never replaces a newer one. */
  apply(p: WorkflowPublished): void {
    const current = this.active.get(p.organizationId)?.get(p.workflowId);
    if (current !== undefined && current.publishedAt > p.publishedAt) return;
    this.set(p.organizationId, { workflowId: p.workflowId, version: p.version, compiled: JSON.parse(p.compiled) as CompiledWorkflow, publishedAt: p.publishedAt });
  }

  private set(organizationId: string, a: ActiveWorkflow): void {
    let org = this.active.get(organizationId);
    if (org === undefined) this.active.set(organizationId, (org = new Map()));
    org.set(a.workflowId, a);
    this.versions.set(`${organizationId}/${a.workflowId}/${a.version}`, a.compiled);
  }

  activeFor(organizationId: string): ActiveWorkflow[] {
    return [...(this.active.get(organizationId)?.values() ?? [])];
  }

  async version(organizationId: string, workflowId: string, version: number): Promise<CompiledWorkflow | undefined> {
    const key = `${organizationId}/${workflowId}/${version}`;
    const hit = this.versions.get(key);
    if (hit !== undefined) return hit;
    const stored = await this.repo.getVersion(organizationId, workflowId, version);
    if (stored !== null) this.versions.set(key, stored.compiled);
    return stored?.compiled;
  }
}
