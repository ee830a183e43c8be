import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { catalogWithSegments, workflowProfile } from '../profiles/workflow-fields.js';
import { defaultCatalog } from './catalog.js';
import { compileWorkflow } from './compiler.js';
import { simulate } from './simulator.js';
import { keywordUnderstanding, mustCompile } from './test-support.js';

const SRC = `workflow "personal" version 1
languages en
on intent greeting
  if risk is high
    say "High risk: the care team will call."
    do escalate with priority = "normal", reason = "adherence risk"
  else if segment is "evening responders"
    say "See you this evening."
  else
    say "Hello."
  end
end
`;
const understand = keywordUnderstanding({ hello: 'greeting' });
const table = { organizationId: 'org', day: 1, segments: [{ index: 3, name: 'evening responders', description: '', size: 1 }] };

async function reply(profile: Record<string, string | number | boolean | null>): Promise<string[]> {
  const wf = mustCompile(SRC, catalogWithSegments(defaultCatalog(['en']), table));
  const t = await simulate(wf, { language: 'en', start: '2026-03-02T09:00:00Z', profile, steps: [{ patient: 'hello' }] }, { understand });
  return t.entries.filter((e) => e.kind === 'bot' || e.kind === 'action').map((e) => e.text ?? JSON.stringify(e.detail));
}

describe('profile conditions in workflows', () => {
  test('given risk high, then the high-risk branch; given the segment, then its branch; else the default', async () => {
    const high = await reply({ risk: 'high', segment: 'evening responders' });
    assert.equal(high[0], 'High risk: the care team will call.');
    assert.equal(high.length, 2, 'the escalate action too');
    assert.deepEqual(await reply({ risk: 'low', segment: 'evening responders' }), ['See you this evening.']);
    assert.deepEqual(await reply(workflowProfile(null)), ['Hello.'], 'a patient without a profile: risk unknown, no segment');
  });

  test('given a misspelt risk level or segment name, then WF_BAD_VALUE at its place', () => {
    const bad = SRC.replace('risk is high', 'risk is "hihg"').replace('"evening responders"', '"evening responder"');
    const r = compileWorkflow(bad, catalogWithSegments(defaultCatalog(['en']), table));
    assert.equal(r.ok, false);
    const problems = r.ok ? [] : r.problems.map((p) => [p.code, p.line, p.column]);
    assert.deepEqual(problems, [['WF_BAD_VALUE', 4, 14], ['WF_BAD_VALUE', 7, 22]]);
  });

  test('given no segment table yet, then any segment name is accepted, and a bare word that is no level is undefined', () => {
    assert.equal(compileWorkflow(SRC, defaultCatalog(['en'])).ok, true);
    const r = compileWorkflow(SRC.replace('risk is high', 'risk is severe'), defaultCatalog(['en']));
    assert.equal(r.ok ? '' : r.problems[0]?.code, 'WF_UNDEFINED_VARIABLE');
  });
});
