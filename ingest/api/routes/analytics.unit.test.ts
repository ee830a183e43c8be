import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makePrincipal } from '../../../platform/auth/principal.js';
import { MIN_CELL, minCellFor, seriesOf, tableOf } from './analytics.js';

const rows = [
  { channel: 'WEB', hour: '8', patients: 25, inbound_messages: 40 },
  { channel: 'WEB', hour: '9', patients: 10, inbound_messages: 12 },
  { channel: 'SMS', hour: '8', patients: 11, inbound_messages: 11 },
];

test('roles without PHI access see no cell under 11 patients; the care team and admins see every cell', () => {
  assert.equal(minCellFor(makePrincipal('staff', 'a', 'o', 'analyst')), MIN_CELL);
  assert.equal(minCellFor(makePrincipal('staff', 'p', 'o', 'partner')), MIN_CELL);
  assert.equal(minCellFor(makePrincipal('staff', 'c', 'o', 'care_team')), 1);
  assert.equal(minCellFor(makePrincipal('api_key', 'k', 'o', 'org_admin')), 1);
});

test('a suppressed cell carries neither its figure nor its patient count, in the chart and in the table', () => {
  const series = seriesOf(rows, 'channel', 'hour', (r) => Number(r['inbound_messages']), MIN_CELL);
  assert.deepEqual(series, [
    { name: 'WEB', points: [{ x: '8', y: 40, patients: 25, suppressed: false }, { x: '9', y: null, patients: null, suppressed: true }] },
    { name: 'SMS', points: [{ x: '8', y: 11, patients: 11, suppressed: false }] },
  ]);
  const table = tableOf(rows, MIN_CELL, ['inbound_messages']);
  assert.deepEqual(table[1], { channel: 'WEB', hour: '9', patients: null, suppressed: 1 });
  assert.ok(!JSON.stringify(table[1]).includes('12'), 'the hidden figure is not in the row');
  assert.deepEqual(seriesOf(rows, 'channel', 'hour', (r) => Number(r['inbound_messages']), 1)[0]?.points[1], { x: '9', y: 12, patients: 10, suppressed: false });
});
