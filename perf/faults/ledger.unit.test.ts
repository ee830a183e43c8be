import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ledger, recoverAfter, rowFigures, type Row } from './ledger.js';
import { soakVerdict, type SoakSample } from './soak.js';

const row: Row = { name: 'kill -9 dialogue', from: 0, to: 10_000, faultsAt: [2_000] };

test('given one patient answered in order, once each: the row is clean and nothing is lost', () => {
  const l = new Ledger();
  l.sent({ id: 'm1', patient: 'p', seq: 0, scheduledAt: 100 });
  l.sent({ id: 'm2', patient: 'p', seq: 1, scheduledAt: 200 });
  l.acked('m1', 110);
  l.reply('p', 'r1', 'm1', 'Noted.', 150);
  l.reply('p', 'r2', 'm2', 'Noted.', 260);
  const f = rowFigures(l, row, null, 1_000);
  assert.deepEqual([f.sent, f.acked, f.replied, f.lost, f.visibleDuplicates, f.outOfOrder, f.redeliveredIds], [2, 1, 2, 0, 0, 0, 0]);
  assert.equal(f.reply?.max, 60);
});

test('when a reply id comes twice it is a redelivery, not a second answer; the same text under a new id is a visible duplicate', () => {
  const l = new Ledger();
  l.sent({ id: 'm1', patient: 'p', seq: 0, scheduledAt: 0 });
  l.reply('p', 'r1', 'm1', 'Well done.', 50);
  l.reply('p', 'r1', 'm1', 'Well done.', 60);
  assert.equal(rowFigures(l, row, null, 1_000).redeliveredIds, 1);
  assert.equal(rowFigures(l, row, null, 1_000).visibleDuplicates, 0);
  l.reply('p', 'r9', 'm1', 'Well done.', 70);
  assert.equal(rowFigures(l, row, null, 1_000).visibleDuplicates, 1);
});

test('when a later message of a patient is answered first, it counts out of order; an unanswered one counts lost', () => {
  const l = new Ledger();
  l.sent({ id: 'a', patient: 'p', seq: 0, scheduledAt: 0 });
  l.sent({ id: 'b', patient: 'p', seq: 1, scheduledAt: 10 });
  l.sent({ id: 'c', patient: 'q', seq: 0, scheduledAt: 20 });
  l.reply('p', 'rb', 'b', 'x', 100);
  l.reply('p', 'ra', 'a', 'y', 200);
  const f = rowFigures(l, row, 50, 1_000);
  assert.equal(f.outOfOrder, 1);
  assert.equal(f.lost, 1);
  assert.equal(f.extraP99Ms, 150);
});

test('time to recover runs from the fault to the last slow reply around it', () => {
  const l = new Ledger();
  l.sent({ id: 'a', patient: 'p', seq: 0, scheduledAt: 1_500 });
  l.sent({ id: 'b', patient: 'p', seq: 1, scheduledAt: 3_000 });
  l.sent({ id: 'c', patient: 'p', seq: 2, scheduledAt: 9_000 });
  l.reply('p', 'ra', 'a', 'x', 6_500); // 5 s: slow
  l.reply('p', 'rb', 'b', 'y', 6_600); // 3.6 s: slow, the last slow one
  l.reply('p', 'rc', 'c', 'z', 9_100); // fast again
  const msgs = [...l.messages.values()];
  assert.equal(recoverAfter(msgs, 2_000, 60_000, 1_000), 4_600);
  assert.equal(recoverAfter(msgs, 2_000, 60_000, 10_000), 0);
});

const sample = (minute: number, rss: number, p99: number): SoakSample => ({ minute, rssMB: { dialogue: rss }, redisUsedMB: 1, kafkaLag: 0, replyP99Ms: p99, replies: 100 });

test('the soak passes flat figures and fails a process whose RSS grows 10 % or a p99 that drifts 25 %', () => {
  const flat = [sample(1, 300, 900), ...[2, 3, 4, 5, 6, 7, 8].map((m) => sample(m, 200, 100))];
  assert.equal(soakVerdict(flat, 1).passed, true);
  const leaking = [2, 3, 4, 5, 6, 7].map((m) => sample(m, 200 + (m - 2) * 10, 100));
  const v = soakVerdict(leaking, 0);
  assert.equal(v.passed, false);
  assert.match(v.why.join(), /dialogue RSS grew/);
  const drifting = [2, 3, 4, 5, 6, 7].map((m) => sample(m, 200, 100 + (m - 2) * 20));
  assert.match(soakVerdict(drifting, 0).why.join(), /p99 drifted/);
});
