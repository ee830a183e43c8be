import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { answerOfAction, pickOccurrence, timePreference } from './answers.js';
import { caregiverContacts, caregiverText, missedRun, type Caregiver } from './caregiver.js';

const H = 3_600_000;

describe('a wish about when messages come is quiet hours, not an opt-out', () => {
  test('night, "only after 9", "not after 8 pm"; other sentences are no wish', () => {
    assert.deepEqual(timePreference('I want to stop getting messages at night'), { start: '22:00', end: '07:00' });
    assert.deepEqual(timePreference('not at night please'), { start: '22:00', end: '07:00' });
    assert.deepEqual(timePreference('only after 9'), { start: '22:00', end: '09:00' });
    assert.deepEqual(timePreference('no messages before 8am'), { start: '22:00', end: '08:00' });
    assert.deepEqual(timePreference('not after 8 pm'), { start: '20:00', end: '07:00' });
    assert.deepEqual(timePreference('no me escriban por la noche'), { start: '22:00', end: '07:00' });
    for (const t of ['stop sending me messages', 'unsubscribe me', 'I took it after 9']) assert.equal(timePreference(t), null, t);
  });
});

describe('chat answers close the occurrence they are about', () => {
  const open = [
    { id: 'a', medicationIds: ['met'], dueAt: 0, dispatchedAt: 0 },
    { id: 'b', medicationIds: ['met', 'lis'], dueAt: 12 * H, dispatchedAt: 12 * H + 60_000 },
  ];
  test('the latest sent occurrence, of the medication when one is named; a late answer within the window still counts', () => {
    assert.equal(pickOccurrence(open, null, 13 * H, 24 * H)?.id, 'b');
    assert.equal(pickOccurrence(open, 'lis', 30 * H, 24 * H)?.id, 'b', '18 h late');
    assert.equal(pickOccurrence(open, 'met', 11 * H, 24 * H)?.id, 'a', 'b was not sent yet');
    assert.equal(pickOccurrence(open, null, 40 * H, 24 * H), null, 'past the window');
  });
  test('record_adherence and a snooze become answers; "unknown" and other actions do not', () => {
    assert.deepEqual(answerOfAction('record_adherence', { taken: 'true' }, 5), { kind: 'taken', at: 5 });
    assert.deepEqual(answerOfAction('record_adherence', { taken: 'false' }, 5), { kind: 'skipped', at: 5 });
    assert.equal(answerOfAction('record_adherence', { taken: 'unknown' }, 5), null);
    assert.deepEqual(answerOfAction('set_reminder', { reason: 'snooze', at: '1970-01-01T00:30:00.000Z' }, 5), { kind: 'snoozed', at: 5, until: 30 * 60_000 });
    assert.equal(answerOfAction('escalate', {}, 5), null);
  });
});

describe('the caregiver loop', () => {
  const rec = (id: string, med: string, h: number, outcome: string | null): { occurrenceId: string; medicationId: string; dueAt: number; outcome: string | null } => ({ occurrenceId: id, medicationId: med, dueAt: h * H, outcome });
  const records = [rec('o1', 'met', 0, 'taken'), rec('o2', 'met', 12, 'skipped'), rec('o3', 'met', 24, 'unknown'), rec('o3', 'lis', 24, 'unknown'), rec('o4', 'met', 36, 'skipped'), rec('o5', 'met', 48, null)];
  const ann: Caregiver = { id: 'ann', consented: true, scope: 'missed_doses', optedOut: false, active: true };
  test('three missed occurrences in a row (a grouped one counts once), the open one aside', () => {
    assert.deepEqual(missedRun(records), { missed: 3, medicationIds: ['lis', 'met'], lastMissedId: 'o4' });
  });
  test('at the threshold a consenting caregiver is contacted once per run, without medication unless consent allows', () => {
    const run = missedRun(records);
    const [c] = caregiverContacts(run, [ann], 3, new Set());
    assert.deepEqual(c, { caregiverId: 'ann', templateId: 'caregiver_missed_doses', missed: 3, medicationIds: [] });
    assert.ok(c !== undefined && !caregiverText(c, { patient: 'Maria', org: 'Sunrise', medications: 'Metformin' }).includes('Metformin'));
    const [w] = caregiverContacts(run, [{ ...ann, scope: 'missed_doses_with_medication' }], 3, new Set());
    assert.ok(w !== undefined && caregiverText(w, { patient: 'Maria', org: 'Sunrise', medications: 'Metformin' }).includes('Metformin'));
    assert.deepEqual(caregiverContacts(run, [ann], 3, new Set(['ann:o4'])), [], 'already told about this run');
    assert.deepEqual(caregiverContacts(run, [ann], 4, new Set()), [], 'below the threshold');
  });
  test('no consent, opted out or inactive: nobody is contacted', () => {
    const run = missedRun(records);
    for (const c of [{ ...ann, consented: false }, { ...ann, optedOut: true }, { ...ann, active: false }]) assert.deepEqual(caregiverContacts(run, [c], 3, new Set()), []);
  });
});
