// Issue 21: the dashboard in a real headless Chromium (Debian's `chromium`, driven by
// playwright-core; .ci/run installs it) against a real daemon and a fake upstream. Each test saves a
// screenshot under test-results/dashboard/ (the README's pictures are copies of them).
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../../src/gateway/index.js';
import { ROOT, type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { type FakeLlm, startFakeAnthropic, startFakeOpenAI } from '../helpers/fake-llm.js';

const SHOTS = path.join(ROOT, 'test-results', 'dashboard');

/** Debian's chromium (or CHROMIUM_PATH), or null. */
function chromiumPath(): string | null {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[]) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}
const CHROMIUM = chromiumPath();
const SKIP = CHROMIUM === null && !process.env.CI;
if (SKIP) console.warn("dashboard.browser.test.ts skipped: no chromium; install Debian's `chromium` package to run it");

const KIMI = 'openrouter/moonshotai/kimi-k2.5';
const OPUS = 'anthropic/claude-opus-4-5';
const CODE_TEXT = 'Write a Python rate limiter with the token bucket algorithm';
const CHAT_TEXT = "Hey, what's up? Tell me something interesting.";

let kimi: FakeLlm;
let claude: FakeLlm;
let daemon: RunningDaemon;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let client: GatewayClient;
const base = () => `http://127.0.0.1:${daemon.port}`;

async function shot(name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

describe.skipIf(SKIP)('the dashboard in headless Chromium', () => {
  beforeAll(async () => {
    kimi = await startFakeOpenAI('kimi');
    claude = await startFakeAnthropic('claude');
    daemon = await startDaemon({
      config: {
        models: {
          providers: {
            openrouter: { api: 'openai-completions', baseUrl: kimi.baseUrl, apiKey: 'sk-or-fake', models: [{ id: 'moonshotai/kimi-k2.5' }] },
            anthropic: { api: 'anthropic-messages', baseUrl: claude.baseUrl, apiKey: 'sk-ant-fake', models: [{ id: 'claude-opus-4-5' }] },
          },
          [KIMI]: { alias: 'kimi', fallbacks: [OPUS] },
          [OPUS]: { alias: 'opus' },
        },
        routing: { routes: { CHAT: ['kimi'], WRITE: ['kimi'], FACT: ['kimi'], TRANS: ['kimi'], CODE: ['opus'], REASON: ['opus'] } },
      },
    });
    client = await daemon.client({ scopes: ['operator.read', 'operator.write', 'operator.admin'] });
    browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(5000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await client?.close();
    await daemon?.stop();
    await kimi?.close();
    await claude?.close();
  });

  it('logs in with the one-time code from `dashboard.open`: an HttpOnly, SameSite=Strict cookie, the code gone from the address bar and spent', async () => {
    const open = await client.request<{ url: string }>('dashboard.open', {});
    expect(open.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#code=[A-Za-z0-9_-]{43}$/);
    await page.goto(open.url);
    await page.getByRole('tab', { name: 'Live' }).waitFor();
    expect(page.url()).toBe(`${base()}/`);
    const cookies = await context.cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: 'srd_dashboard', httpOnly: true, sameSite: 'Strict' })]);
    expect(await page.evaluate('document.cookie')).toBe('');
    // The code works once.
    const again = await fetch(`${base()}/dashboard/login`, { method: 'POST', body: JSON.stringify({ code: new URL(open.url).hash.slice(6) }) });
    expect(again.status).toBe(401);
    await shot('login');
  });

  it('Live: a decision made by another client appears within a second, with tokens and cost once proxied', async () => {
    await page.getByRole('tab', { name: 'Live' }).click();
    await page.getByText('Following every decision').waitFor();
    const d = await client.request<{ decisionId: string }>('route', { text: CODE_TEXT });
    const row = page.locator(`tr[data-decision-id="${d.decisionId}"]`);
    await row.waitFor({ timeout: 1000 });
    await expect(row.textContent()).resolves.toContain('flagship');
    const res = await fetch(`${base()}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'smart-routerd/auto', messages: [{ role: 'user', content: CHAT_TEXT }] }),
    });
    const proxied = page.locator(`tr[data-decision-id="${res.headers.get('x-smart-router-decision-id')}"]`);
    await res.text();
    await expect.poll(async () => (await proxied.textContent()) ?? '', { timeout: 2000 }).toMatch(/\$0\.\d{4}/);
    await shot('live');
  });

  it('Spend: the cost chart and the all-flagship line render after proxied requests', async () => {
    for (const text of [CODE_TEXT, CHAT_TEXT, 'Remind me tomorrow at 9am and ping Slack about the deploy']) {
      const res = await fetch(`${base()}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'smart-routerd/auto', messages: [{ role: 'user', content: text }] }),
      });
      expect(res.status).toBe(200);
      await res.text();
    }
    await page.getByRole('tab', { name: 'Spend' }).click();
    await page.locator('.chart canvas').first().waitFor();
    await expect(page.locator('.u-legend').first().textContent()).resolves.toContain('all to the flagship');
    await expect(page.getByText('saved by routing').locator('..').textContent()).resolves.toMatch(/\$0\.\d{4} \(\d+\.\d%\)/);
    await expect(page.locator('table:not(.u-legend)').first().textContent()).resolves.toContain(OPUS);
    await shot('spend');
    // The same chart split by model.
    await page.getByRole('button', { name: 'by model' }).click();
    await expect.poll(async () => (await page.locator('.u-legend').first().textContent()) ?? '').toContain(OPUS);
    await page.getByRole('button', { name: 'by tier' }).click();
  });

  it('Providers: a cooling upstream shows its class, reason and time left', async () => {
    kimi.faults.push({ status: 429, body: { error: { message: 'rate limited', type: 'rate_limit_error' } }, headers: { 'retry-after': '120' } });
    const res = await fetch(`${base()}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'kimi', messages: [{ role: 'user', content: 'hello' }] }),
    });
    await res.text();
    await page.getByRole('tab', { name: 'Providers' }).click();
    await page.getByText('cooling down').first().waitFor();
    await expect(page.locator('table').first().textContent()).resolves.toMatch(/rate_limit/);
    await shot('providers');
  });

  it('Learning: deleting a correction, after confirming, changes routing at once', async () => {
    const taught = await client.request<{ patchId: number }>('route.feedback', { text: CHAT_TEXT, tier: 'flagship' });
    const before = await client.request<{ source: string; modelTier: string }>('route', { text: CHAT_TEXT });
    expect(before).toMatchObject({ source: 'patch', modelTier: 'flagship' });
    await page.getByRole('tab', { name: 'Learning' }).click();
    const row = page.locator(`tr[data-patch-id="${taught.patchId}"]`);
    await row.waitFor();
    await shot('learning');
    await row.getByRole('button', { name: `Delete correction ${taught.patchId}…` }).click();
    await row.getByRole('button', { name: `Delete correction ${taught.patchId}`, exact: true }).click();
    await page.getByText(`Correction ${taught.patchId} deleted.`).waitFor();
    await expect.poll(() => row.count()).toBe(0);
    const after = await client.request<{ source: string; modelTier: string }>('route', { text: CHAT_TEXT });
    expect(after.source).not.toBe('patch');
    expect(after.modelTier).toBe('lightweight');
  });

  it('Settings: every value in force, secrets redacted, with where it came from', async () => {
    await page.getByRole('tab', { name: 'Settings' }).click();
    const port = page.locator('tr', { has: page.locator('code', { hasText: /^gateway\.port$/ }) });
    await expect(port.textContent()).resolves.toContain('flag --port');
    const token = page.locator('tr', { has: page.locator('code', { hasText: /^gateway\.auth\.token$/ }) });
    await expect(token.textContent()).resolves.toContain('[redacted]');
    await expect(token.textContent()).resolves.toContain('env SMART_ROUTERD_TOKEN');
    await expect(page.locator('body').textContent()).resolves.not.toContain(daemon.token);
    const provider = page.locator('tr', { has: page.locator('code', { hasText: /^models\.providers\.anthropic\.apiKey$/ }) });
    await expect(provider.textContent()).resolves.toContain('file');
    await shot('settings');
  });

  it('is refused without the cookie (401) and from a cross-site Origin even with it (403)', async () => {
    const bare = await fetch(`${base()}/dashboard/api/status`);
    expect(bare.status).toBe(401);
    const sid = (await context.cookies()).find((c) => c.name === 'srd_dashboard')!.value;
    const ok = await fetch(`${base()}/dashboard/api/status`, { headers: { cookie: `srd_dashboard=${sid}` } });
    expect(ok.status).toBe(200);
    const cross = await fetch(`${base()}/dashboard/api/status`, { headers: { cookie: `srd_dashboard=${sid}`, origin: 'https://evil.example' } });
    expect(cross.status).toBe(403);
    // A page without a session sees the login hint, not the data.
    const fresh = await browser.newContext();
    const p2 = await fresh.newPage();
    await p2.goto(`${base()}/`);
    await p2.getByText('smart-routerd dashboard').first().waitFor();
    await p2.screenshot({ path: path.join(SHOTS, 'logged-out.png') });
    await fresh.close();
    // Strict CSP on the page.
    const html = await fetch(`${base()}/`);
    expect(html.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('fits a phone’s width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('tab', { name: 'Spend' }).click();
    await page.locator('.chart canvas').first().waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('spend-phone');
  });
});
