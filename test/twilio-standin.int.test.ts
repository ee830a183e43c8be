import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TwilioClients } from '../platform/sms/client.js';
import { FAULTS, fakeSid, TwilioStandIn } from './twilio-standin.js';

// The stand-in is only a check if it refuses what Twilio would refuse: each case here must fail it.
const token = 'standin-token-0123456789abcdef';
const standIn = new TwilioStandIn({ authToken: token });
const accountSid = fakeSid('AC');
let url = '';

before(async () => { url = await standIn.start(); });
after(() => standIn.stop());

async function post(path: string, form: Record<string, string>, auth = `${accountSid}:${token}`): Promise<number> {
  const res = await fetch(url + path, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  return res.status;
}

test('the real twilio client\'s create passes the OpenAPI checks and gets a message resource', async () => {
  const client = new TwilioClients(url).for({ organizationId: 'o', accountSid, authToken: token, messagingServiceSid: null, senders: [], displayName: '', helpText: '', careTeamContact: '', timezone: 'UTC', quietHours: null });
  const msg = await client.messages.create({ to: '+15550100001', from: '+18005550100', body: 'hello', validityPeriod: 600, statusCallback: 'https://sms.clinic.example/v1/twilio/status' });
  assert.match(msg.sid, /^SM[0-9a-f]{32}$/);
  assert.equal(msg.status, 'queued');
  assert.deepEqual(standIn.violations, []);
  standIn.failNext(1, FAULTS.tooManyRequests);
  await assert.rejects(client.messages.create({ to: '+15550100001', from: '+18005550100', body: 'again' }), (e: { status?: number; code?: number }) => e.status === 429 && e.code === 20429);
});

test('requests Twilio\'s description does not allow are refused and recorded', async () => {
  const path = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
  const cases: Array<[string, number]> = [
    [String(await post(path, { To: '+15550100001', From: '+18005550100', Body: 'x', Colour: 'red' })), 400], // unknown field
    [String(await post(path, { To: '+15550100001', From: '+18005550100', Body: 'x', ValidityPeriod: 'soon' })), 400], // not an integer
    [String(await post(path, { From: '+18005550100', Body: 'x' })), 400], // To is required
    [String(await post(path, { To: '+15550100001', Body: 'x' })), 400], // no sender
    [String(await post(`/2010-04-01/Accounts/not-a-sid/Messages.json`, { To: '+15550100001', From: '+18005550100', Body: 'x' }, `not-a-sid:${token}`)), 400], // path parameter pattern
    [String(await post(path, { To: '+15550100001', From: '+18005550100', Body: 'x' }, `${accountSid}:wrong`)), 401], // Basic auth
    [String(await post(`/2010-04-01/Accounts/${accountSid}/Nonsense.json`, {})), 404], // no such path
  ];
  for (const [got, want] of cases) assert.equal(Number(got), want);
  assert.equal(standIn.violations.length, cases.length);
});
