import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { sessionSecret } from '../platform/auth/secrets.js';
import { issueSessionToken } from '../platform/auth/session-tokens.js';
import { repoRoot } from '../platform/paths.js';
import { testConfig, uniqueId } from './helpers.js';
import { cleanupRun, freePort } from './product.js';

// The patient's chat in a real browser (Debian's Chromium through playwright-core) against
// `careloop up`: the demo's proactive reminder answered with a quick reply, history after a reload,
// the expired-session state, on a desktop and on a 390×844 phone. Screenshots land in SHOTS.
const SHOTS = join(repoRoot(), 'test-artifacts/screenshots');
const EMBEDDER = 'https://clinic.example';
const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_'), 'redis.keyPrefix': `${uniqueId('web')}:` });
let product: ChildProcess;
let output = '';
let pageUrl: string;
let browser: Browser;

interface DemoFile { organizationId: string; patients: Array<{ id: string; label: string }> }

before(async () => {
  const executablePath = execFileSync('bash', [join(repoRoot(), 'scripts/ensure-chromium.sh')], { encoding: 'utf8' }).trim();
  mkdirSync(SHOTS, { recursive: true });
  process.stdout.write(`# screenshots: ${SHOTS}\n`);
  const gatewayPort = await freePort();
  pageUrl = `http://127.0.0.1:${gatewayPort}/`;
  product = spawn(process.execPath, [join(repoRoot(), 'dist/cli/main.js'), 'up', '--no-stack'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database, CARELOOP_REDIS_KEY_PREFIX: cfg.redis.keyPrefix,
      CARELOOP_SERVICES_GATEWAY_PORT: String(gatewayPort), CARELOOP_SERVICES_API_PORT: String(await freePort()), CARELOOP_SERVICES_OPS_PORT: String(await freePort()),
      CARELOOP_LOG_LEVEL: 'warn', CARELOOP_GATEWAY_ALLOWED_ORIGINS: EMBEDDER,
    },
  });
  product.stdout?.on('data', (b: Buffer) => { output += b.toString(); });
  product.stderr?.on('data', (b: Buffer) => { output += b.toString(); });
  const deadline = Date.now() + 90_000;
  while (!output.includes('reminders armed')) {
    if (product.exitCode !== null || Date.now() > deadline) throw new Error(`careloop up did not start:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  if (product?.exitCode === null) {
    const exited = new Promise((resolve) => product.once('exit', resolve));
    product.kill('SIGTERM');
    await exited;
  }
  await cleanupRun(cfg);
});

function demo(): DemoFile {
  return JSON.parse(readFileSync(join(repoRoot(), cfg.stack.dir, 'demo.json'), 'utf8')) as DemoFile;
}

const VIEWPORTS: Array<[string, BrowserContextOptions, number]> = [
  ['desktop', { viewport: { width: 1280, height: 800 } }, 1],
  ['phone', { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true }, 2],
];

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** The composer and the conversation are on screen, whatever the header does. */
async function assertLayout(page: Page, height: number): Promise<void> {
  const box = await page.getByRole('textbox', { name: 'Message' }).boundingBox();
  assert.ok(box !== null && box.y >= 0 && box.y + box.height <= height, `the message box is on screen: ${JSON.stringify(box)}`);
  const header = await page.locator('header').boundingBox();
  assert.ok(header !== null && header.height < 90, `the header stays one row: ${JSON.stringify(header)}`);
}

describe('the patient chat in a browser', () => {
  for (const [name, options, index] of VIEWPORTS) {
    test(`${name}: the demo reminder arrives and is answered with a button; a reload shows the history`, async () => {
      const context = await browser.newContext(options);
      const page = await context.newPage();
      try {
        const patient = demo().patients[index];
        assert.ok(patient);
        await page.goto(pageUrl);
        await page.getByRole('button', { name: 'Settings' }).click();
        await page.getByLabel('Demo patient').selectOption(patient.id);
        await page.getByText('Online').waitFor();
        await assertLayout(page, options.viewport?.height ?? 0);
        const log = page.getByRole('log', { name: 'Conversation' });
        await log.getByText('Have you taken it?').waitFor({ timeout: 30_000 });
        await shot(page, `${name}-1-reminder`);
        // Runs in the page (the test's tsconfig has no DOM types): notes whether the typing indicator showed.
        await page.evaluate(`(() => { window.sawTyping = false; const t = document.getElementById('typing');
          new MutationObserver(() => { if (!t.hidden) window.sawTyping = true; }).observe(t, { attributes: true }); })()`);
        await page.getByRole('group', { name: 'Suggested answers' }).getByRole('button', { name: 'Yes' }).click();
        await log.getByText(/I have recorded your|is noted/).waitFor();
        const answered = log.locator('li[data-from="patient"]').last();
        assert.equal(await answered.getAttribute('data-state'), 'answered');
        assert.match((await answered.locator('.meta').textContent()) ?? '', /\d{1,2}:\d{2}.*Answered/, 'a time and the delivery state');
        assert.equal(await page.evaluate('window.sawTyping'), true, 'a typing indicator while the reply was on its way');
        await shot(page, `${name}-2-answered`);

        await page.reload();
        await page.getByText('Online').waitFor();
        await log.getByText('Have you taken it?').waitFor();
        await log.getByText(/I have recorded your|is noted/).waitFor();
        assert.equal(await log.locator('li[data-from="patient"]', { hasText: 'Yes' }).count(), 1, 'the history, once');
        assert.ok(!/\((refill|appointment)\)/.test((await log.textContent()) ?? ''), 'no internal labels');
        await shot(page, `${name}-3-history`);

        await page.getByRole('button', { name: 'Settings' }).click();
        await page.getByLabel('Language').selectOption('es');
        await page.getByText('En línea').waitFor();
        assert.equal(await page.getByRole('textbox', { name: 'Mensaje' }).getAttribute('placeholder'), 'Escriba un mensaje');
        await shot(page, `${name}-4-spanish`);
      } finally {
        await context.close();
      }
    });
  }

  test('an expired session says so and asks to verify again, live and after a reload (phone)', async () => {
    const d = demo();
    const patient = d.patients[3];
    assert.ok(patient);
    const token = await issueSessionToken({ organizationId: d.organizationId, patientId: patient.id, ttlMs: 4000 }, sessionSecret(cfg));
    const context = await browser.newContext(VIEWPORTS[1]?.[1]);
    const page = await context.newPage();
    try {
      await page.goto(`${pageUrl}?token=${encodeURIComponent(token)}`);
      await page.getByText('Online').waitFor();
      const notice = page.getByText('Your session has expired');
      await notice.waitFor({ timeout: 15_000 });
      assert.ok(await page.getByRole('button', { name: 'Verify again' }).isVisible());
      await shot(page, 'phone-5-expired');
      await page.reload();
      await notice.waitFor({ timeout: 15_000 });
      assert.equal(await page.getByText('Cannot reach the chat server').count(), 0, 'not mistaken for a network failure');
      await page.getByRole('button', { name: 'Verify again' }).click();
      assert.ok(await page.getByLabel('Mobile phone').isVisible());
    } finally {
      await context.close();
    }
  });

  test('the page can be embedded by an allowed origin only; its verify routes answer that origin (CORS); security headers', async () => {
    const page = await fetch(pageUrl);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, new RegExp(`frame-ancestors 'self' ${EMBEDDER}`));
    assert.match(csp, /script-src 'self'/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const embed = await fetch(new URL('embed.js', pageUrl));
    assert.equal(embed.headers.get('cross-origin-resource-policy'), 'cross-origin');
    const preflight = await fetch(new URL('v1/verify/birth-date', pageUrl), { method: 'OPTIONS', headers: { origin: EMBEDDER, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    assert.equal(preflight.headers.get('access-control-allow-origin'), EMBEDDER);
    const stranger = await fetch(new URL('v1/verify/birth-date', pageUrl), { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(stranger.headers.get('access-control-allow-origin'), null);
  });
});
