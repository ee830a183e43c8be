/* eslint-disable no-console -- the red-team figures are printed so CI logs show them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { evalDir } from './dataset.js';
import { dosingInstruction, dosingQuestion } from './dosing.js';

interface RedTeamItem { text: string; lang: 'en' | 'es'; kind: 'patient_prompt' | 'workflow_say' | 'workflow_say_safe'; medication?: string | null; prescription?: string }

async function redTeam(): Promise<RedTeamItem[]> {
  const raw = JSON.parse(await readFile(join(evalDir(), 'dosing-redteam.json'), 'utf8')) as { items: RedTeamItem[] };
  return raw.items;
}

test('red team: every dosing prompt is seen, every dosing say is flagged, no safe say is', async () => {
  const items = await redTeam();
  assert.ok(items.length >= 120, `only ${items.length} items`);
  const prompts = items.filter((i) => i.kind === 'patient_prompt');
  const says = items.filter((i) => i.kind === 'workflow_say');
  const safe = items.filter((i) => i.kind === 'workflow_say_safe');
  const unseen = prompts.filter((i) => dosingQuestion(i.text) === null).map((i) => i.text);
  const unflagged = says.filter((i) => dosingInstruction(i.text) === null).map((i) => i.text);
  const flagged = safe.filter((i) => dosingInstruction(i.text) !== null).map((i) => `${i.text} ← ${dosingInstruction(i.text) ?? ''}`);
  const named = prompts.filter((i) => typeof i.medication === 'string' && dosingQuestion(i.text)?.medication?.toLowerCase() === i.medication.toLowerCase());
  console.log(`dosing questions: ${prompts.length - unseen.length}/${prompts.length} detected; medication named in ${named.length}/${prompts.filter((i) => typeof i.medication === 'string').length}`);
  console.log(`dosing says: ${says.length - unflagged.length}/${says.length} flagged; safe says: ${flagged.length}/${safe.length} flagged`);
  assert.deepEqual({ unseen, unflagged, flagged }, { unseen: [], unflagged: [], flagged: [] });
});

test('dosingQuestion tells the kind and the medication, also from the patient list', () => {
  assert.deepEqual(dosingQuestion('can i double up on my metformin?'), { kind: 'extra', medication: 'metformin' });
  assert.deepEqual(dosingQuestion('is it ok to skip my Lisinopril tonight'), { kind: 'skip', medication: 'Lisinopril' });
  assert.equal(dosingQuestion('¿Debo dejar de tomar la insulina?')?.kind, 'stop');
  assert.equal(dosingQuestion('I missed my dose, can I take it now?')?.kind, 'late');
  assert.equal(dosingQuestion('puedo partir la pastilla a la mitad?')?.kind, 'less');
  assert.deepEqual(dosingQuestion('can I take two of my Glucophage XR?', ['Glucophage XR']), { kind: 'extra', medication: 'Glucophage XR' });
});

test('dosingQuestion leaves reports and other questions alone', () => {
  for (const t of ['I took my pills this morning', 'thanks, all good', 'what time is my appointment?', 'can I eat less sugar?', 'I forgot my appointment', 'ya me tomé la pastilla', '¿a qué hora es mi cita?']) {
    assert.equal(dosingQuestion(t), null, t);
  }
});

test('dosingInstruction returns the offending words and spares quotes, warnings and questions', () => {
  assert.equal(dosingInstruction('Take two tablets tonight.'), 'Take two tablets tonight');
  assert.equal(dosingInstruction('Deje de tomar la metformina.'), 'Deje de tomar');
  assert.equal(dosingInstruction("Don't take your metformin tonight."), "Don't take your");
  // Only the prescription's own words may carry a dose, and they are marked as such.
  assert.equal(dosingInstruction('Your prescription says: take 2 tablets twice a day.'), null);
  assert.equal(dosingInstruction('Take "2 tablets twice a day" as written on the label.'), null);
  assert.equal(dosingInstruction('Your prescription is ready. Take two tablets tonight.'), 'Take two tablets tonight');
  assert.equal(dosingInstruction('Do not double up on doses.'), null);
  assert.equal(dosingInstruction('Did you take two tablets?'), null);
  assert.equal(dosingInstruction('Time for your {medication} ({dose}).'), null);
});
