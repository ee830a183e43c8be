import { readFileSync } from 'node:fs';
import type { Config } from '../platform/config/config.js';
import { CareloopError, isCareloopError } from '../platform/errors.js';
import { createLogger } from '../platform/log.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { publishWorkflow, saveWorkflow } from '../platform/workflow/admin.js';
import { defaultCatalog } from '../platform/workflow/catalog.js';
import { compileWorkflow } from '../platform/workflow/compiler.js';
import { formatProblem } from '../platform/workflow/problems.js';
import { WorkflowRepository } from '../platform/workflow/repository.js';
import { parseScript } from '../platform/workflow/script-schema.js';
import { formatTranscript, simulate, type Transcript } from '../platform/workflow/simulator.js';
import { realUnderstanding } from '../platform/workflow/understanding.js';
import { DEMO_ORGANIZATION } from './demo-data.js';
import { UsageError } from './usage.js';

function read(file: string | undefined, what: string): string {
  if (file === undefined) throw new UsageError(`${what} is required; see careloop workflow --help`);
  try { return readFileSync(file, 'utf8'); } catch (err) {
    throw new CareloopError('VALIDATION_FAILED', `cannot read ${file}: ${(err as Error).message}`);
  }
}

export function validateCommand(file: string | undefined, json: boolean, languages: readonly string[]): number {
  const result = compileWorkflow(read(file, 'a workflow file'), defaultCatalog(languages));
  const problems = result.ok ? result.warnings : result.problems;
  if (json) console.log(JSON.stringify({ problems: problems.map((p) => ({ code: p.code, message: p.message, line: p.line, column: p.column, severity: p.severity })) }));
  else {
    for (const p of problems) console.log(`${file ?? ''}:${formatProblem(p)}`);
    if (result.ok) console.log(`${file ?? ''}: valid (${result.workflow.name})`);
  }
  return result.ok ? 0 : 1;
}

export async function simulateCommand(file: string | undefined, scriptFile: string | undefined, json: boolean): Promise<number> {
  const result = compileWorkflow(read(file, 'a workflow file'), defaultCatalog(['en', 'es']));
  if (!result.ok) {
    for (const p of result.problems) console.error(`${file ?? ''}:${formatProblem(p)}`);
    return 1;
  }
  let raw: unknown;
  try { raw = JSON.parse(read(scriptFile, 'a script file')); } catch (err) {
    if (isCareloopError(err)) throw err;
    throw new CareloopError('VALIDATION_FAILED', `the script is not valid JSON: ${(err as Error).message}`);
  }
  const script = parseScript(raw);
  let transcript: Transcript;
  try { transcript = await simulate(result.workflow, script, { understand: await realUnderstanding() }); } catch (err) {
    if (isCareloopError(err)) throw err;
    throw new CareloopError('VALIDATION_FAILED', `the script cannot run: ${(err as Error).message}`);
  }
  console.log(json ? JSON.stringify(transcript, null, 2) : formatTranscript(transcript));
  return transcript.passed ? 0 : 1;
}

export async function publishCommand(cfg: Config, file: string | undefined, organizationId: string | undefined, by: string | undefined): Promise<number> {
  const source = read(file, 'a workflow file');
  const org = organizationId ?? DEMO_ORGANIZATION.id;
  const deps = new Dependencies(cfg, createLogger({ level: 'warn' }));
  try {
    const pool = await deps.postgres();
    const admin = {
      repo: new WorkflowRepository(pool), publisher: await deps.publisher(),
      catalogFor: async () => defaultCatalog((await pool.query<{ languages: string[] }>('SELECT languages FROM organizations WHERE id = $1', [org])).rows[0]?.languages ?? ['en']),
      now: () => new Date(),
    };
    const saved = await saveWorkflow(admin, org, source, `cli:${by ?? process.env['USER'] ?? 'unknown'}`);
    if (!saved.ok) {
      for (const p of saved.problems) console.error(`${file ?? ''}:${formatProblem(p)}`);
      return 1;
    }
    await publishWorkflow(admin, org, saved.workflowId, saved.version, `cli:${by ?? process.env['USER'] ?? 'unknown'}`, 'publish');
    console.log(`published ${saved.workflowId} version ${saved.version} for ${org}`);
    return 0;
  } finally {
    await deps.close();
  }
}
