import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ApiKeys } from '../platform/auth/api-keys.js';
import { StaffAccounts } from '../platform/auth/staff-accounts.js';
import { prepare } from '../platform/bootstrap.js';
import { repoRoot } from '../platform/paths.js';
import { createPgPool, type PgPool } from '../platform/storage/postgres.js';
import { ChatClient } from './chat-client.js';
import { eventually, testConfig, uniqueId } from './helpers.js';
import { cleanupRun, freePort, ProductProcess, seedTenant } from './product.js';

// The staff portal in a real browser (Debian's Chromium through playwright-core) against the real
// product: sign-in through the built-in OpenID Connect issuer (authorization code + PKCE), staff,
// patient search and reveal (audited), the workflow editor, the inbox answering a patient's chat,
// the dashboards. The organisation is the test's own. Screenshots land in SHOTS.
const SHOTS = join(repoRoot(), 'test-artifacts/screenshots');
const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_'), 'redis.keyPrefix': `${uniqueId('portal')}:` });
const PASSWORD = 'portal-e2e-password-1';
const PHONE = `+1 555 ${String(1_000_000 + Math.floor(Math.random() * 8_999_999)).slice(0, 3)} ${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
let product: ProductProcess;
let pool: PgPool;
let browser: Browser;
let page: Page;
let apiUrl = '';
let gatewayUrl = '';
let idpUrl = '';
let org = '';
let adminEmail = '';
let adminId = '';
let apiKey = '';
let patientId = '';
let patientToken = '';

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${apiUrl}/v1/organizations/${org}${path}`, { method, headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, json: (res.status === 204 ? null : await res.json()) as T };
}

async function shot(name: string, p: Page = page): Promise<void> {
  await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function nav(label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
  await page.getByRole('heading', { level: 1 }).first().waitFor();
}

before(async () => {
  const executablePath = execFileSync('bash', [join(repoRoot(), 'scripts/ensure-chromium.sh')], { encoding: 'utf8' }).trim();
  mkdirSync(SHOTS, { recursive: true });
  process.stdout.write(`# screenshots: ${SHOTS}\n`);
  await prepare(cfg);
  org = (await seedTenant(cfg, 0)).organizationId;
  pool = createPgPool({ ...cfg.postgres, poolMax: 2, applicationName: 'careloop-test-portal' });
  adminEmail = `admin-${org}@clinic.test`;
  adminId = (await new StaffAccounts(pool).create(org, { email: adminEmail, name: 'Avery Admin', role: 'org_admin', password: PASSWORD })).id;
  apiKey = (await new ApiKeys(pool).create(org, 'org_admin', 'portal e2e set-up')).token;
  const [gatewayPort, apiPort, opsPort, idpPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  apiUrl = `http://127.0.0.1:${apiPort}`;
  gatewayUrl = `ws://127.0.0.1:${gatewayPort}/v1/chat`;
  idpUrl = `http://127.0.0.1:${idpPort}`;
  product = await ProductProcess.start(['api', 'gateway', 'delivery-ws', 'intent', 'dialogue', 'actions', 'analytics-sink'], {
    ...process.env, CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database, CARELOOP_REDIS_KEY_PREFIX: cfg.redis.keyPrefix,
    CARELOOP_SERVICES_GATEWAY_PORT: String(gatewayPort), CARELOOP_SERVICES_API_PORT: String(apiPort), CARELOOP_SERVICES_OPS_PORT: String(opsPort),
    CARELOOP_IDP_ENABLED: 'true', CARELOOP_IDP_PORT: String(idpPort), CARELOOP_AUTH_STAFF_ISSUER: idpUrl, CARELOOP_AUTH_STAFF_JWKS_URL: `${idpUrl}/jwks`,
    CARELOOP_LOG_LEVEL: 'warn', CARELOOP_CONSUMER_SESSION_TIMEOUT: '6s', CARELOOP_AUDIT_ANCHOR_INTERVAL: '0s',
  }, [], 120_000);
  const enrolled = await api<{ patientId: string }>('POST', '/patients', {
    identity: { givenName: 'Rosa', familyName: 'Portalez', phone: PHONE, birthDate: '1961-04-09' }, preferredLanguage: 'en',
    medications: [{ name: 'Metformin', dose: '500 mg', times: ['08:00'] }],
  });
  assert.equal(enrolled.status, 201, JSON.stringify(enrolled.json));
  patientId = enrolled.json.patientId;
  patientToken = (await api<{ token: string }>('POST', `/patients/${patientId}/session-tokens`)).json.token;
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
});

after(async () => {
  await browser?.close();
  await product?.stop();
  await pool?.end();
  await cleanupRun(cfg);
});

test('the portal is served under /portal: hashed assets cached for a year, the app\'s routes fall back to the page, nothing outside the build', async () => {
  const index = await fetch(`${apiUrl}/portal/inbox`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  assert.match(index.headers.get('content-security-policy') ?? '', /connect-src 'self' http:\/\/127\.0\.0\.1:\d+/);
  const script = /src="(\/portal\/assets\/[^"]+\.js)"/.exec(await index.text())?.[1];
  assert.ok(script !== undefined, 'the page loads a hashed script');
  const js = await fetch(`${apiUrl}${script}`);
  assert.deepEqual([js.status, js.headers.get('content-type'), js.headers.get('cache-control')], [200, 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable']);
  assert.equal((await fetch(`${apiUrl}/portal/assets/missing-1234.js`)).status, 404);
  assert.equal((await fetch(`${apiUrl}/portal/%2e%2e/package.json`)).status, 404, 'no file outside the build');
  const config = await (await fetch(`${apiUrl}/portal/config.json`)).json() as { issuer: string; clientId: string };
  assert.deepEqual(config, { issuer: idpUrl, clientId: 'careloop-portal', audience: 'careloop-admin' });
});

test('sign in through the OpenID Connect issuer (code + PKCE): a wrong password is refused, the right one reaches the dashboards', async () => {
  await page.goto(`${apiUrl}/portal/`);
  await page.getByRole('button', { name: 'Sign in with your organisation account' }).waitFor();
  await shot('portal-sign-in');
  await page.getByRole('button', { name: 'Sign in with your organisation account' }).click();
  await page.waitForURL(`${idpUrl}/interaction/**`);
  await page.getByLabel('E-mail').fill(adminEmail);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'not right' }).waitFor();
  await page.getByLabel('Password').fill(PASSWORD);
  await shot('portal-idp-login');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${apiUrl}/portal/**`);
  await page.getByRole('heading', { name: 'Dashboards', level: 1 }).waitFor({ timeout: 20_000 });
  assert.match(await page.locator('.who').innerText(), /Avery Admin · org admin/);
  const signIns = await pool.query('SELECT 1 FROM audit.events WHERE organization_id = $1 AND action = $2 AND actor_id = $3', [org, 'staff.sign_in', adminId]);
  assert.equal(signIns.rowCount, 1, 'the sign-in is audited');
});

test('an organisation admin creates a staff user with a role', async () => {
  await nav('Staff & keys');
  const email = `nurse-${org}@clinic.test`;
  await page.getByLabel('Name', { exact: true }).first().fill('Noor Nurse');
  await page.getByLabel('E-mail').fill(email);
  await page.locator('#staff-role').selectOption('care_team');
  await page.getByRole('button', { name: 'Add staff member' }).click();
  await page.getByRole('cell', { name: email }).waitFor();
  await page.getByText(`Initial password for ${email}`).waitFor();
  await shot('portal-staff');
  const row = await pool.query<{ role: string; name: string }>('SELECT role, name FROM auth.staff_accounts WHERE organization_id = $1 AND email = $2 AND removed_at IS NULL', [org, email]);
  assert.deepEqual(row.rows, [{ role: 'care_team', name: 'Noor Nurse' }]);
});

test('an organisation admin sets languages, quiet hours and the daily cap, and the reminder engine\'s columns hold them', async () => {
  await nav('Settings');
  await page.getByRole('checkbox', { name: 'Español' }).check();
  await page.getByRole('checkbox', { name: 'No reminders at night' }).check();
  await page.getByLabel('From').fill('22:00');
  await page.getByLabel('to', { exact: true }).fill('07:30');
  await page.getByLabel('Daily cap').fill('3');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText(/^Saved\./).waitFor();
  await shot('portal-settings');
  const { rows: [o] } = await pool.query<{ languages: string[]; quiet: unknown; cap: number }>(`SELECT languages, reminder_routine -> 'quietHours' AS quiet, reminder_daily_cap AS cap FROM organizations WHERE id = $1`, [org]);
  assert.deepEqual(o, { languages: ['en', 'es'], quiet: { start: '22:00', end: '07:30' }, cap: 3 });
});

test('search a patient by phone through the blind index, reveal the identity on purpose, and find the reveal in the audit log', async () => {
  await nav('Patients');
  await page.locator('#q').fill(PHONE);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('cell', { name: patientId }).waitFor();
  await page.getByRole('link', { name: 'Open' }).click();
  await page.getByRole('button', { name: 'Reveal identity' }).waitFor();
  assert.equal(await page.getByText('Rosa Portalez').count(), 0, 'the name is not shown before the reveal');
  await page.getByRole('button', { name: 'Reveal identity' }).click();
  await page.getByText('Rosa Portalez').waitFor();
  await shot('portal-patient');
  await nav('Audit log');
  await page.getByLabel('Action starts with').fill('vault.identity.read');
  await page.getByRole('button', { name: 'Filter' }).click();
  const row = page.locator('tr[data-action="vault.identity.read"]').filter({ hasText: patientId });
  await row.first().waitFor();
  assert.match(await row.first().innerText(), new RegExp(`staff:${adminId}`));
  await page.getByRole('button', { name: 'Verify the chain' }).click();
  await page.locator('[data-chain="intact"]').waitFor();
  await shot('portal-audit');
});

const BAD = `workflow "Portal check-in" version 1
languages en, es

on intent greeting
  sya "Hello from your care team!" es: "¡Hola de su equipo de atención!"
end
`;
const GOOD = BAD.replace('  sya ', '  say ');

test('the workflow editor marks a broken line as you type; fixed, it simulates, saves and publishes', async () => {
  await nav('Workflows');
  await page.getByRole('button', { name: 'New workflow' }).click();
  const editor = page.getByLabel('Workflow source');
  await editor.fill(BAD);
  await page.locator('.gutter .problem-line.error[data-line="5"]').waitFor();
  await page.getByRole('button', { name: 'line 5:3' }).waitFor();
  assert.equal(await editor.getAttribute('aria-invalid'), 'true');
  await shot('portal-workflow-error');
  await editor.fill(GOOD);
  await page.getByText('No problems.').waitFor();
  assert.equal(await page.locator('.gutter .problem-line').count(), 0);
  assert.equal(await page.locator('td[lang="es"]').filter({ hasText: '¡Hola de su equipo de atención!' }).count(), 1, 'the Spanish text is previewed beside the English');
  await page.getByRole('button', { name: 'Simulate' }).click();
  await page.locator('.sim[data-passed="true"]').waitFor();
  await page.getByRole('button', { name: 'Save version' }).click();
  await page.getByText(/Saved .* v1/).waitFor();
  await page.getByRole('button', { name: 'Publish v1' }).click();
  await page.getByText(/Published .* v1/).waitFor();
  await shot('portal-workflows');
  const listed = await api<{ workflows: Array<{ name: string; activeVersion: number | null }> }>('GET', '/workflows');
  assert.deepEqual(listed.json.workflows.map((w) => [w.name, w.activeVersion]), [['Portal check-in', 1]]);
});

test('the care team answers an inbox task and the reply reaches the patient\'s chat', async () => {
  const chat = await ChatClient.connect(gatewayUrl, patientToken);
  try {
    const hello = chat.send('hello');
    await chat.waitFor('the warm-up reply', (fs) => fs.some((f) => f.type === 'message' && f.replyTo === hello), 90_000);
    const ask = chat.send('I want to talk to a nurse');
    await chat.waitFor('the hold notice', (fs) => fs.some((f) => f.type === 'message' && (f.replyTo === ask || /within about/.test(f.text ?? ''))), 30_000);
    await nav('Inbox');
    await eventually(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return (await page.locator('.task').filter({ hasText: patientId }).count()) > 0 ? true : undefined;
    }, 20_000, 'the handoff task in the inbox');
    await page.locator('.task').filter({ hasText: patientId }).first().click();
    await page.locator('.patient-words').filter({ hasText: 'I want to talk to a nurse' }).waitFor();
    const answer = `This is Noor from the clinic, calling you at 3 pm today (${uniqueId('r')}).`;
    await page.getByLabel(/Reply to the patient/).fill(answer);
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.getByText('Reply sent to the patient.').waitFor();
    await chat.waitFor('the care team\'s reply on the socket', (fs) => fs.some((f) => f.type === 'message' && f.text === answer), 20_000);
    await shot('portal-inbox');
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.getByText('Task resolved; the assistant resumes.').waitFor();
  } finally {
    chat.close();
  }
});

test('the dashboards draw charts from the analytics model, on a desktop and on a phone', async (t) => {
  await nav('Dashboards');
  await eventually(async () => {
    await page.reload();
    await page.locator('[data-dashboard="engagement"]').waitFor({ timeout: 10_000 });
    return (await page.locator('[data-dashboard="engagement"] svg circle').count()) > 0 ? true : undefined;
  }, 60_000, 'an engagement chart with points');
  // Each board loads on its own: all four have answered once each shows its chart or its empty state.
  const boards = await eventually(async () => { const n = await page.locator('[data-dashboard]').count(); return n === 4 ? n : undefined; }, 20_000, 'all four dashboards');
  t.diagnostic(`dashboards rendered: ${boards}; engagement points: ${await page.locator('[data-dashboard="engagement"] svg circle').count()}`);
  assert.equal(boards, 4);
  await shot('portal-dashboards');
  const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true })).newPage();
  // The phone's own session: the credential lives in the tab's sessionStorage, so it signs in again (the issuer remembers nobody on a new context).
  await phone.goto(`${apiUrl}/portal/`);
  await phone.getByRole('button', { name: 'Sign in with your organisation account' }).click();
  await phone.getByLabel('E-mail').fill(adminEmail);
  await phone.getByLabel('Password').fill(PASSWORD);
  await phone.getByRole('button', { name: 'Sign in' }).click();
  await phone.locator('[data-dashboard="engagement"] svg').waitFor({ timeout: 30_000 });
  const width = await phone.evaluate('document.documentElement.scrollWidth') as number;
  assert.ok(width <= 390, `no sideways scrolling on a phone (page ${width} px wide)`);
  await shot('portal-dashboards-phone', phone);
});

test('a partner opens the report of a campaign shared with it and downloads its CSV and PDF, and reaches neither a patient nor another partner\'s campaign', async () => {
  const workflow = (await api<{ workflows: Array<{ workflowId: string; name: string }> }>('GET', '/workflows')).json.workflows.find((w) => w.name === 'Portal check-in');
  assert.ok(workflow !== undefined, 'the workflow published above');
  const [mine, theirs] = [uniqueId('pa').toLowerCase().replace(/[^a-z0-9]/g, ''), uniqueId('pb').toLowerCase().replace(/[^a-z0-9]/g, '')];
  for (const id of [mine, theirs]) {
    const made = await api('POST', '/partners', { id, displayName: `Partner ${id}` });
    assert.equal(made.status, 201, JSON.stringify(made.json));
  }
  const campaign = async (name: string, partner: string): Promise<string> => {
    const made = await api<{ id: string }>('POST', '/campaigns', { name, purpose: `program-${partner}`, workflowId: workflow.workflowId, cohort: {}, period: { from: '2026-11-02', to: '2026-11-29' }, partnerIds: [partner] });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    return made.json.id;
  };
  const shared = await campaign('Metformin support', mine);
  const other = await campaign('Another partner\'s programme', theirs);
  const email = `partner-${org}@pharma.test`;
  await new StaffAccounts(pool).create(org, { email, name: 'Pat Partner', role: 'partner', password: PASSWORD, partnerId: mine });

  const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
  const p = await ctx.newPage();
  try {
    await p.goto(`${apiUrl}/portal/`);
    await p.getByRole('button', { name: 'Sign in with your organisation account' }).click();
    await p.getByLabel('E-mail').fill(email);
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL(`${apiUrl}/portal/**`);
    const main = p.getByRole('navigation', { name: 'Main' });
    await main.getByRole('link', { name: 'Campaigns' }).click();
    await p.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor({ timeout: 20_000 });
    await p.getByRole('cell', { name: 'Metformin support' }).waitFor();
    assert.equal(await p.getByRole('cell', { name: 'Another partner\'s programme' }).count(), 0, 'only the campaigns shared with this partner are listed');
    assert.equal(await main.getByRole('link', { name: 'Patients' }).count(), 0, 'no patient pages in a partner\'s menu');
    await p.getByRole('link', { name: 'Report' }).click();
    await p.getByRole('heading', { name: 'Campaign report', level: 1 }).waitFor();
    await p.getByText(/every cell under 11 patients is suppressed/).waitFor({ timeout: 20_000 });
    await shot('portal-partner-report', p);
    const [csv] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Download CSV' }).click()]);
    const csvText = await (await csv.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks as Buffer[]).toString('utf8'));
    assert.equal(csv.suggestedFilename(), `${shared}.csv`);
    assert.ok(csvText.split('\n').length > 1 && !csvText.includes(patientId), 'a CSV of aggregates, no patient id');
    const [pdf] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Download PDF' }).click()]);
    const pdfBytes = Buffer.concat(await (await pdf.createReadStream()).toArray() as Buffer[]);
    assert.equal(pdfBytes.subarray(0, 5).toString('latin1'), '%PDF-', 'a PDF document');
    // Typed addresses: the patient page and the other partner's campaign are refused.
    await p.goto(`${apiUrl}/portal/patients/${encodeURIComponent(patientId)}`);
    await p.getByRole('alert').filter({ hasText: 'Your role does not open this page.' }).waitFor({ timeout: 20_000 });
    await p.goto(`${apiUrl}/portal/campaigns/${encodeURIComponent(other)}`);
    await p.getByRole('alert').waitFor({ timeout: 20_000 });
    assert.doesNotMatch(await p.locator('main').innerText(), /Another partner's programme/);
    await shot('portal-partner-refused', p);
  } finally {
    await ctx.close();
  }
  // The same through the API with the partner's own key: patient routes 403, the other campaign 404.
  const key = (await api<{ token: string }>('POST', '/api-keys', { name: 'partner e2e', role: 'partner', partnerId: mine })).json.token;
  const asPartner = async (path: string): Promise<number> => (await fetch(`${apiUrl}/v1/organizations/${org}${path}`, { headers: { authorization: `Bearer ${key}` } })).status;
  assert.equal(await asPartner(`/patients/${patientId}`), 403);
  assert.equal(await asPartner(`/campaigns/${other}/report`), 404);
  assert.equal(await asPartner(`/campaigns/${shared}/report`), 200);
});
