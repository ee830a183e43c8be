import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { PatientSignal } from '../../schemas/generated/avro-types.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import type { Security } from '../../platform/service/security.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import type { ClickHouseClient } from '../../platform/storage/clickhouse.js';
import { CampaignStore } from '../../platform/campaigns/store.js';
import { CampaignRunner } from '../../platform/campaigns/runner.js';
import { clickhouseResponded } from '../../platform/campaigns/facts.js';
import { programOptOut } from '../../platform/nlu/rules.js';
import { Tenants } from '../../platform/tenants/organizations.js';
import { silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { buildApiApp } from './app.js';

const cfg = testConfig();
const deps = new Dependencies(cfg, silentLogger);
const DAY = 86_400_000;
// The API's and the runner's clock: inside the campaign period (2031-03-03 .. 2031-03-30), then after it.
let now = Date.parse('2031-03-05T10:00:00Z');
let app: FastifyInstance;
let pool: PgPool;
let ch: ClickHouseClient;
let security: Security;
let operator: string;
const published: PatientSignal[] = [];

const auth = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

before(async () => {
  [pool, security, ch] = [await deps.postgres(), await deps.security(), await deps.clickhouse()];
  const tenants = new Tenants(pool, security.apiKeys, () => now);
  app = await buildApiApp({
    log: silentLogger, version: 'test', bodyLimit: 65_536, limiter: null,
    authenticate: (h) => security.authenticator.authenticate(h), security, pool,
    sessionSecret: randomBytes(32), sessionTtlMs: 60_000, now: () => new Date(now), forgetConversation: async () => undefined,
    campaigns: { tenants, campaigns: new CampaignStore(pool, () => now), audit: security.audit, now: () => now, reports: { pool, responded: clickhouseResponded(ch) } },
  });
  operator = (await security.apiKeys.create(null, 'platform_operator', 'test operator')).token;
});
after(async () => { await app.close(); await deps.close(); });

async function createOrg(): Promise<{ id: string; admin: string }> {
  const id = uniqueId('org-').toLowerCase();
  const res = await app.inject({ method: 'POST', url: '/v1/platform/organizations', headers: auth(operator), payload: { id, displayName: 'Campaign Clinic', timeZone: 'Europe/Madrid', admin: { email: 'Ada@Clinic.example', name: 'Ada Admin' } } });
  assert.equal(res.statusCode, 201, res.body);
  const body = res.json() as { organization: { id: string; status: string }; admin: { userId: string; apiKey: { token: string } } };
  assert.equal(body.organization.status, 'active');
  return { id, admin: body.admin.apiKey.token };
}

async function addPatients(org: string, n: number, medication: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = uniqueId('pt_');
    await pool.query('INSERT INTO patients (id, organization_id) VALUES ($1, $2)', [id, org]);
    await pool.query(`INSERT INTO patient_medications (id, patient_id, organization_id, name, schedule_times) VALUES ($1, $2, $3, $4, ARRAY['08:00'])`, [`${id}_m`, id, org, medication]);
    ids.push(id);
  }
  return ids;
}

async function publishWorkflow(org: string, workflowId: string): Promise<void> {
  await pool.query(`INSERT INTO workflow_versions (organization_id, workflow_id, version, source, author, published_at) VALUES ($1, $2, 1, 'workflow "x" version 1', 'test', now())`, [org, workflowId]);
}

function runner(org: string): CampaignRunner {
  return new CampaignRunner({ pool, now: () => now, organizations: [org], publish: async (s) => { published.push(...s); } });
}

describe('tenants: the platform operator', () => {
  test('creates an organisation with its first admin (key once, invite row), lists, suspends and resumes it; suspended credentials get 403 ORGANIZATION_SUSPENDED', async () => {
    const org = await createOrg();
    const invite = await pool.query<{ email: string; status: string }>('SELECT email, status FROM auth.admin_invites WHERE organization_id = $1', [org.id]);
    assert.deepEqual(invite.rows, [{ email: 'ada@clinic.example', status: 'invited' }]);
    const list = (await app.inject({ method: 'GET', url: '/v1/platform/organizations', headers: auth(operator) })).json() as { organizations: Array<{ id: string }> };
    assert.ok(list.organizations.some((o) => o.id === org.id));
    assert.equal((await app.inject({ method: 'GET', url: `/v1/organizations/${org.id}`, headers: auth(org.admin) })).statusCode, 200, 'the first admin key works');
    const again = await app.inject({ method: 'POST', url: '/v1/platform/organizations', headers: auth(operator), payload: { id: org.id, displayName: 'x', timeZone: 'UTC', admin: { email: 'a@b.example', name: 'A' } } });
    assert.deepEqual([again.statusCode, (again.json() as { code: string }).code], [409, 'CONFLICT']);
    const badZone = await app.inject({ method: 'POST', url: '/v1/platform/organizations', headers: auth(operator), payload: { id: 'zz-new-org', displayName: 'x', timeZone: 'Mars/Base', admin: { email: 'a@b.example', name: 'A' } } });
    assert.deepEqual([badZone.statusCode, (badZone.json() as { code: string }).code], [400, 'VALIDATION_FAILED']);

    const suspended = await app.inject({ method: 'POST', url: `/v1/platform/organizations/${org.id}/suspend`, headers: auth(operator) });
    assert.equal((suspended.json() as { organization: { status: string } }).organization.status, 'suspended');
    for (const url of [`/v1/organizations/${org.id}`, `/v1/organizations/${org.id}/campaigns`, `/v1/organizations/${org.id}/patients`]) {
      const res = await app.inject({ method: 'GET', url, headers: auth(org.admin) });
      assert.deepEqual([res.statusCode, (res.json() as { code: string }).code], [403, 'ORGANIZATION_SUSPENDED'], url);
    }
    await app.inject({ method: 'POST', url: `/v1/platform/organizations/${org.id}/resume`, headers: auth(operator) });
    assert.equal((await app.inject({ method: 'GET', url: `/v1/organizations/${org.id}`, headers: auth(org.admin) })).statusCode, 200, 'resumed at once');
  });

  test('the operator reaches no organisation route, and no organisation credential reaches /v1/platform', async () => {
    const org = await createOrg();
    for (const url of [`/v1/organizations/${org.id}`, `/v1/organizations/${org.id}/patients`, `/v1/organizations/${org.id}/campaigns`]) {
      const res = await app.inject({ method: 'GET', url, headers: auth(operator) });
      assert.equal(res.statusCode, 403, url);
    }
    for (const [method, url] of [['GET', '/v1/platform/organizations'], ['POST', `/v1/platform/organizations/${org.id}/suspend`]] as const) {
      const res = await app.inject({ method, url, headers: auth(org.admin) });
      assert.deepEqual([res.statusCode, (res.json() as { code: string }).code], [403, 'FORBIDDEN'], url);
    }
    // An organisation's admin cannot mint a platform operator key either.
    const key = await app.inject({ method: 'POST', url: `/v1/organizations/${org.id}/api-keys`, headers: auth(org.admin), payload: { name: 'x', role: 'platform_operator' } });
    assert.equal(key.statusCode, 400);
  });
});

describe('campaigns, consent and partner reports', () => {
  let org: { id: string; admin: string };
  let other: { id: string; admin: string };
  let partnerA: string;
  let partnerB: string;
  let campaignA: string;
  let campaignB: string;
  let patients: string[];
  let otherCohort: string[];

  before(async () => {
    org = await createOrg();
    other = await createOrg();
    await publishWorkflow(org.id, 'adherence-coach');
    for (const p of ['pharma-a', 'pharma-b']) {
      const res = await app.inject({ method: 'POST', url: `/v1/organizations/${org.id}/partners`, headers: auth(org.admin), payload: { id: p, displayName: p.toUpperCase() } });
      assert.equal(res.statusCode, 201, res.body);
    }
    const key = async (p: string): Promise<string> => {
      const res = await app.inject({ method: 'POST', url: `/v1/organizations/${org.id}/api-keys`, headers: auth(org.admin), payload: { name: `partner ${p}`, role: 'partner', partnerId: p } });
      assert.equal(res.statusCode, 201, res.body);
      return (res.json() as { token: string }).token;
    };
    [partnerA, partnerB] = [await key('pharma-a'), await key('pharma-b')];
    const create = async (name: string, partnerIds: string[], purpose: string): Promise<string> => {
      const res = await app.inject({ method: 'POST', url: `/v1/organizations/${org.id}/campaigns`, headers: auth(org.admin),
        payload: { name, purpose, workflowId: 'adherence-coach', cohort: { medicationClass: 'antidiabetic' }, period: { from: '2031-03-03', to: '2031-03-30' }, partnerIds } });
      assert.equal(res.statusCode, 201, res.body);
      return (res.json() as { id: string }).id;
    };
    campaignA = await create('Metformin support', ['pharma-a'], 'program-metformin');
    campaignB = await create('Other partner', ['pharma-b'], 'program-other');
    patients = await addPatients(org.id, 30, 'Metformin 500 mg');
    otherCohort = await addPatients(org.id, 14, 'Metformin');
    await addPatients(org.id, 3, 'Lisinopril');
  });

  test('bad campaigns are refused with stable codes', async () => {
    const post = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: `/v1/organizations/${org.id}/campaigns`, headers: auth(org.admin), payload });
    const ok = { name: 'n', purpose: 'p1', workflowId: 'adherence-coach', cohort: {}, period: { from: '2031-03-03', to: '2031-03-30' }, partnerIds: [] };
    for (const bad of [{ ...ok, workflowId: 'unpublished' }, { ...ok, partnerIds: ['nobody'] }, { ...ok, period: { from: '2031-03-30', to: '2031-03-01' } }, { ...ok, period: { from: '2031-02-30', to: '2031-03-01' } },
      { ...ok, cohort: { medicationClass: 'magic' } }, { ...ok, purpose: 'Has Spaces' }, { ...ok, extra: 1 }]) {
      const res = await post(bad);
      assert.deepEqual([res.statusCode, (res.json() as { code: string }).code], [400, 'VALIDATION_FAILED'], JSON.stringify(bad));
    }
  });

  test('a partner sees only the campaigns shared with it, never another partner\'s, nor any patient route', async () => {
    const list = (await app.inject({ method: 'GET', url: `/v1/organizations/${org.id}/campaigns`, headers: auth(partnerA) })).json() as { campaigns: Array<{ id: string; partnerIds: string[] }> };
    assert.deepEqual(list.campaigns.map((c) => [c.id, c.partnerIds]), [[campaignA, ['pharma-a']]]);
    const listB = (await app.inject({ method: 'GET', url: `/v1/organizations/${org.id}/campaigns`, headers: auth(partnerB) })).json() as { campaigns: Array<{ id: string }> };
    assert.deepEqual(listB.campaigns.map((c) => c.id), [campaignB]);
    assert.equal((await app.inject({ method: 'GET', url: `/v1/organizations/${org.id}/campaigns/${campaignA}/report`, headers: auth(partnerB) })).statusCode, 404);
    for (const url of [`/v1/organizations/${org.id}/campaigns/${campaignB}`, `/v1/organizations/${org.id}/campaigns/${campaignB}/report`, `/v1/organizations/${org.id}/campaigns/${campaignB}/report?format=csv`]) {
      const res = await app.inject({ method: 'GET', url, headers: auth(partnerA) });
      assert.deepEqual([res.statusCode, (res.json() as { code: string }).code], [404, 'NOT_FOUND'], url);
    }
    const patient = patients[0] as string;
    for (const [method, url] of [['GET', `/v1/organizations/${org.id}/patients`], ['GET', `/v1/organizations/${org.id}/patients/${patient}`], ['POST', `/v1/organizations/${org.id}/patients/${patient}/session-tokens`],
      ['GET', `/v1/organizations/${org.id}/patients/${patient}/consents/program-metformin`], ['PUT', `/v1/organizations/${org.id}/patients/${patient}/consents/program-metformin`],
      ['DELETE', `/v1/organizations/${org.id}/patients/${patient}/consents/program-metformin`], ['GET', `/v1/organizations/${org.id}/partners`], ['POST', `/v1/organizations/${org.id}/campaigns`]] as const) {
      const valid = url.endsWith('/campaigns') ? { name: 'n', purpose: 'p1', workflowId: 'adherence-coach', cohort: {}, period: { from: '2031-03-03', to: '2031-03-30' }, partnerIds: ['pharma-a'] } : undefined;
      const res = await app.inject({ method, url, headers: auth(partnerA), ...(method === 'PUT' ? { payload: { status: 'given', source: 'api' } } : valid !== undefined ? { payload: valid } : {}) });
      assert.equal(res.statusCode, 403, `${method} ${url}`);
    }
    // Another organisation's admin reaches nothing of this one.
    assert.equal((await app.inject({ method: 'GET', url: `/v1/organizations/${org.id}/campaigns/${campaignA}/report`, headers: auth(other.admin) })).statusCode, 403);
  });

  test('only consented cohort patients get the programme, once; a withdrawal by API or by chat removes the patient from the next send', async () => {
    const consent = (p: string, status: string) => app.inject({ method: 'PUT', url: `/v1/organizations/${org.id}/patients/${p}/consents/program-metformin`, headers: auth(org.admin), payload: { status, source: 'portal' } });
    const consented = patients.slice(0, 24);
    for (const p of consented) assert.equal((await consent(p, 'given')).statusCode, 200);
    const byApi = consented[0] as string;
    const byChat = consented[1] as string;
    // Withdrawn before the first send: by the API, and by the chat (the rule the NLU applies, then the action the dialogue emits).
    const del = await app.inject({ method: 'DELETE', url: `/v1/organizations/${org.id}/patients/${byApi}/consents/program-metformin`, headers: auth(org.admin) });
    assert.deepEqual([del.statusCode, (del.json() as { status: string; source: string }).status], [200, 'withdrawn']);
    assert.equal(programOptOut('Please stop the program messages')?.intent, 'program_opt_out');
    assert.equal(programOptOut('no quiero mensajes del programa')?.intent, 'program_opt_out');
    assert.equal(programOptOut('stop'), null, 'STOP alone is the channel opt-out, not this');
    assert.deepEqual(await new CampaignStore(pool, () => now).withdrawAllByChat(org.id, byChat, now), ['program-metformin']);
    const channel = await pool.query('SELECT 1 FROM consents WHERE patient_id = $1', [byChat]);
    assert.equal(channel.rowCount, 0, 'the channel consent is untouched');

    const before = published.length;
    const first = await runner(org.id).round();
    const sent = published.slice(before).filter((s) => s.organizationId === org.id);
    assert.equal(first.sent, 22);
    assert.deepEqual(new Set(sent.map((s) => s.patientId)), new Set(consented.slice(2)));
    assert.ok(sent.every((s) => s.type === 'campaign_start' && s.attributes['workflow_id'] === 'adherence-coach' && s.attributes['campaign_id'] === campaignA));
    assert.equal((await runner(org.id).round()).sent, 0, 'once per patient');

    // A later consent is sent next round; one withdrawn in between is not.
    const late = patients[24] as string;
    const lateWithdrawn = patients[25] as string;
    await consent(late, 'given');
    await consent(lateWithdrawn, 'given');
    await new CampaignStore(pool, () => now).withdrawAllByChat(org.id, lateWithdrawn, now);
    const mark = published.length;
    assert.equal((await runner(org.id).round()).sent, 1);
    assert.deepEqual(published.slice(mark).map((s) => s.patientId), [late]);
    const history = await app.inject({ method: 'GET', url: `/v1/organizations/${org.id}/patients/${byChat}/consents/program-metformin`, headers: auth(org.admin) });
    assert.deepEqual([(history.json() as { status: string; source: string }).status, (history.json() as { source: string }).source], ['withdrawn', 'chat']);
  });

  test('the report: reach, engagement from ClickHouse, PDC change against the comparison cohort, suppressed; reproducible; CSV and PDF', async () => {
    // Synthetic facts: 12 of the 23 reached patients wrote back (ClickHouse events), dispenses before and during the period.
    const sends = (await pool.query<{ patient_id: string; sent_at: Date }>('SELECT patient_id, sent_at FROM campaigns.sends WHERE organization_id = $1 ORDER BY patient_id', [org.id])).rows;
    assert.equal(sends.length, 23);
    const writers = sends.slice(0, 12);
    await ch.insert({
      table: 'events', format: 'JSONEachRow',
      values: writers.map((s, i) => ({ event_date: new Date(s.sent_at.getTime() + DAY).toISOString().slice(0, 10), event_time: Math.floor((s.sent_at.getTime() + DAY) / 1000), organization_id: org.id, patient_id: s.patient_id, topic: 'chat.inbound',
        event_type: 'message_received', channel: 'WEB', record_id: `msg-${org.id}-${i}`, workflow_id: '', workflow_version: 0, score: 0, attr_keys: [], attr_values: [] })),
    });
    const fill = async (p: string, day: string, supply: number, n: number): Promise<void> => {
      await pool.query(`INSERT INTO care.medication_dispenses (organization_id, id, patient_id, request_id, status, days_supply, when_handed_over) VALUES ($1, $2, $3, $4, 'completed', $5, $6)`,
        [org.id, `md_${p}_${n}`, p, `${p}_m`, supply, `${day}T10:00:00Z`]);
    };
    // 28-day period: pre window 2031-02-03..03-02. Reached: 14 of 28 days covered before, 28 of 28 during. Comparison: 14 then 14.
    for (const s of sends) { await fill(s.patient_id, '2031-02-03', 14, 1); await fill(s.patient_id, '2031-03-03', 28, 2); }
    for (const p of otherCohort) { await fill(p, '2031-02-03', 14, 1); await fill(p, '2031-03-03', 14, 2); }

    now = Date.parse('2031-04-10T08:00:00Z');
    const url = `/v1/organizations/${org.id}/campaigns/${campaignA}/report`;
    const res = await app.inject({ method: 'GET', url, headers: auth(partnerA) });
    assert.equal(res.statusCode, 200, res.body);
    const r = res.json() as Record<string, any>;
    assert.deepEqual([r['asOf'], r['provisional'], r['period']], ['2031-W13', false, { from: '2031-W10', to: '2031-W13' }]);
    assert.deepEqual(r['reach'], { value: 23, suppressed: false });
    assert.deepEqual(r['engagement']['responded'], { value: 12, suppressed: false });
    assert.deepEqual(r['engagement']['notResponded'], { value: 11, suppressed: false });
    // Every send was in week W10: the other weeks are zero, hidden; W10's row equals the totals.
    assert.deepEqual(r['byWeek'][0], { week: '2031-W10', sent: { value: 23, suppressed: false }, responded: { value: 12, suppressed: false }, notResponded: { value: 11, suppressed: false } });
    assert.ok((r['byWeek'] as Array<{ sent: { suppressed: boolean } }>).slice(1).every((w) => w.sent.suppressed));
    assert.deepEqual([r['adherence']['pre'], r['adherence']['post'], r['adherence']['change']], [0.5, 1, 0.5]);
    assert.deepEqual([r['adherence']['comparison']['patients'], r['adherence']['comparison']['change']], [{ value: 14, suppressed: false }, 0]);
    assert.equal(r['adherence']['difference']['value'], 0.5);
    assert.ok(!res.body.includes('pt_'), 'no patient id');

    const again = await app.inject({ method: 'GET', url, headers: auth(org.admin) });
    now = Date.parse('2031-09-01T08:00:00Z');
    const later = await app.inject({ method: 'GET', url, headers: auth(partnerA) });
    assert.equal(again.body, res.body, 'same campaign and period, same numbers');
    assert.equal(later.body, res.body, 'months later too (as of the period end)');

    const csv = await app.inject({ method: 'GET', url: `${url}?format=csv`, headers: auth(partnerA) });
    assert.deepEqual([csv.statusCode, csv.headers['content-type']], [200, 'text/csv; charset=utf-8']);
    assert.ok(csv.body.includes('reach,,patients,23,false'));
    assert.ok(csv.body.includes('byWeek,2031-W11,sent,,true'));
    const pdf = await app.inject({ method: 'GET', url: `${url}?format=pdf`, headers: auth(partnerA) });
    assert.deepEqual([pdf.statusCode, pdf.headers['content-type']], [200, 'application/pdf']);
    assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
    const pdf2 = await app.inject({ method: 'GET', url: `${url}?format=pdf`, headers: auth(partnerA) });
    assert.ok(pdf.rawPayload.equals(pdf2.rawPayload), 'the PDF is byte-for-byte reproducible');
    const bad = await app.inject({ method: 'GET', url: `${url}?format=xls`, headers: auth(partnerA) });
    assert.equal(bad.statusCode, 400);
  });
});
