import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { captureLogger } from '../../test/helpers.js';
import { problemCounter, reportProblems } from './problems.js';

test('a workflow failing at run time is logged with its code and location and counted', async () => {
  const registry = new Registry();
  const counter = problemCounter(registry);
  const { log, lines } = captureLogger('info');
  reportProblems([{ code: 'WF_RUNTIME', message: 'sub-workflow "verify" is not available', workflowId: 'broken', workflowVersion: 3, step: 's2', line: 5 }], () => log, counter);
  await new Promise((r) => setImmediate(r));
  const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
  assert.deepEqual([line['code'], line['workflowId'], line['workflowVersion'], line['step'], line['line'], line['msg']], ['WF_RUNTIME', 'broken', 3, 's2', 5, 'dialogue problem']);
  assert.match(await registry.metrics(), /careloop_dialogue_problems_total\{code="WF_RUNTIME"\} 1/);
});
