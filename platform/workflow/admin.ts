import { CareloopError } from '../errors.js';
import type { Publisher } from '../kafka/publisher.js';
import type { Catalog } from './catalog.js';
import { checksum, compileWorkflow } from './compiler.js';
import type { Problem } from './problems.js';
import { workflowIdOf, type Publication, type WorkflowRepository } from './repository.js';

export interface WorkflowAdminDeps {
  repo: WorkflowRepository;
  publisher: Publisher;
  /** The catalog the organisation's workflows are checked against (its languages, templates). */
  catalogFor(organizationId: string): Promise<Catalog>;
  /** The clock: one reading stamps both the topic record and the publication history. */
  now(): Date;
}

export type SaveResult =
  | { ok: true; workflowId: string; version: number; warnings: Problem[] }
  | { ok: false; problems: Problem[] };

/** Checks and stores a new version; nothing with an error is stored. */
export async function saveWorkflow(deps: WorkflowAdminDeps, organizationId: string, source: string, author: string): Promise<SaveResult> {
  const result = compileWorkflow(source, await deps.catalogFor(organizationId));
  if (!result.ok) return { ok: false, problems: result.problems };
  const workflowId = workflowIdOf(result.workflow.name);
  const version = await deps.repo.createVersion(organizationId, workflowId, source, result.workflow, author);
  return { ok: true, workflowId, version, warnings: result.warnings };
}

/**
 * Makes a stored version the active one: written to the compacted config.workflows topic (every
 * dialogue instance swaps to it) and recorded in the publication history. Rollback is the same
 * call with an earlier version.
 */
export async function publishWorkflow(deps: WorkflowAdminDeps, organizationId: string, workflowId: string, version: number, by: string, kind: Publication['kind']): Promise<Publication> {
  const stored = await deps.repo.getVersion(organizationId, workflowId, version);
  if (stored === null) throw new CareloopError('NOT_FOUND', `workflow ${workflowId} has no version ${version}`);
  const publishedAt = deps.now();
  await deps.publisher.publish('config.workflows', [{
    key: `${organizationId}/${workflowId}`,
    value: { organizationId, workflowId, version, publishedAt: publishedAt.getTime(), publishedBy: by, checksum: checksum(stored.compiled), compiled: JSON.stringify(stored.compiled) },
  }]);
  return deps.repo.recordPublication({ organizationId, workflowId, version, kind, publishedBy: by, publishedAt });
}

/** A line diff of two sources ("-" removed, "+" added, " " kept), for reviewing a change. */
export function diffLines(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const lcs: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      const row = lcs[i] as number[];
      row[j] = x[i] === y[j] ? (lcs[i + 1]?.[j + 1] ?? 0) + 1 : Math.max(lcs[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) { out.push(` ${x[i] ?? ''}`); i++; j++; }
    else if (j < y.length && (i >= x.length || (lcs[i]?.[j + 1] ?? 0) >= (lcs[i + 1]?.[j] ?? 0))) { out.push(`+${y[j] ?? ''}`); j++; }
    else { out.push(`-${x[i] ?? ''}`); i++; }
  }
  return out.join('\n');
}
