import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../platform/log.js';
import type { Problem } from './types.js';

/** careloop_dialogue_problems_total{code}: alert on any WF_RUNTIME or DOSING_ADVICE_BLOCKED. */
export function problemCounter(registry: Registry): Counter<'code'> {
  return new Counter({
    name: 'careloop_dialogue_problems_total',
    help: 'Turns with a problem: a workflow failing at run time (WF_RUNTIME), a reply replaced for giving dosing advice (DOSING_ADVICE_BLOCKED)',
    labelNames: ['code'] as const, registers: [registry],
  });
}

/** A problem is never silent: logged with its code and where in the workflow (never patient text), and counted. */
export function reportProblems(problems: readonly Problem[], log: () => Logger, counter: Counter<'code'>): void {
  for (const p of problems) {
    counter.inc({ code: p.code });
    log().error({ code: p.code, workflowId: p.workflowId, workflowVersion: p.workflowVersion, step: p.step, line: p.line, reason: p.message }, 'dialogue problem');
  }
}
