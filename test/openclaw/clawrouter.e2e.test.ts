// Issue 14, criterion 2: OpenClaw's bundled `clawrouter` plugin (openclaw@2026.9.6 on Node 26)
// pointed at smart-routerd as a custom ClawRouter deployment. The contract, read from the plugin
// (dist/extensions/clawrouter, dist/provider-catalog-*.mjs, dist/usage-*.mjs) and checked on the wire:
// - openclaw.json `models.providers.clawrouter.baseUrl` = the daemon's origin; the key comes from
//   CLAWROUTER_API_KEY (an env SecretRef). A plain-string key with no env variable or auth profile
//   is not enough: OpenClaw then never asks for the catalog.
// - The gateway (and the CLI, for `status --usage`, which calls /v1/usage from its own process) send
//   `Authorization: Bearer <key>` to GET /v1/catalog and GET /v1/usage; a model whose provider is
//   openaiCompatible with `llm.chat` gets its turns at POST /v1/chat/completions with the catalog id
//   as `model` (here "smart-routerd/auto", routed by the daemon).
// - /v1/usage: OpenClaw reads budget.{configured, limitMicros, spentMicros, windowKey} and
//   usage.summary.{requestCount, totalTokens, actualCostMicros} (micro-USD).
// The key is a smart-routerd virtual key with a $50 monthly budget, so the daemon's ledger, budget
// and catalog are all exercised by the real client.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { type FakeLlm, replyText, startFakeAnthropic, startFakeOpenAI } from '../helpers/fake-llm.js';
import {
  explain,
  freePort,
  type GatewayProcess,
  isolatedEnv,
  loadOpenclawPaths,
  OPENCLAW_VERSION,
  runOpenclaw,
  startGateway,
  stdoutJson,
  userWords,
} from '../plugin/openclaw-harness.js';

const GATEWAY_TOKEN = 'openclaw-gateway-token-0123456789';
const ROUTED = 'clawrouter/smart-routerd/auto';

let bin: { node: string; openclaw: string };
let kimi: FakeLlm;
let claude: FakeLlm;
let daemon: RunningDaemon;
let key: string;
let home: string;
let env: Record<string, string>;
let gateway: GatewayProcess | undefined;

beforeAll(async () => {
  bin = loadOpenclawPaths();
  kimi = await startFakeOpenAI('kimi');
  claude = await startFakeAnthropic('claude');
  for (const fake of [kimi, claude]) {
    fake.callTools = false;
    fake.quote = userWords;
  }
  daemon = await startDaemon({
    config: {
      models: {
        providers: {
          openrouter: { api: 'openai-completions', baseUrl: kimi.baseUrl, apiKey: 'sk-or-fake-key', models: [{ id: 'moonshotai/kimi-k2.5' }] },
          anthropic: { api: 'anthropic-messages', baseUrl: claude.baseUrl, apiKey: 'sk-ant-fake-key', models: [{ id: 'claude-opus-4-5' }] },
        },
        'openrouter/moonshotai/kimi-k2.5': { alias: 'kimi', cost: { input: 0.6, output: 3, cacheRead: 0.1 } },
        'anthropic/claude-opus-4-5': { alias: 'opus', cost: { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 } },
      },
      routing: { routes: { CHAT: ['kimi'], WRITE: ['kimi'], FACT: ['kimi'], TRANS: ['kimi'], CODE: ['opus'], REASON: ['opus'] } },
    },
  });
  const created = await fetch(`http://127.0.0.1:${daemon.port}/key/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${daemon.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ key_alias: 'openclaw', max_budget: 50, budget_duration: '1mo' }),
  });
  key = ((await created.json()) as { key: string }).key;
  home = mkdtempSync(path.join(os.tmpdir(), 'srd-clawrouter-e2e-'));
  env = { ...isolatedEnv(bin.node, home), CLAWROUTER_API_KEY: key };
  const port = await freePort();
  mkdirSync(path.join(home, '.openclaw'), { recursive: true });
  writeFileSync(
    path.join(home, '.openclaw', 'openclaw.json'),
    `${JSON.stringify(
      {
        gateway: { mode: 'local', port, auth: { mode: 'token', token: GATEWAY_TOKEN } },
        plugins: { entries: { clawrouter: { enabled: true } } },
        models: {
          providers: {
            clawrouter: { baseUrl: `http://127.0.0.1:${daemon.port}`, apiKey: { source: 'env', provider: 'default', id: 'CLAWROUTER_API_KEY' } },
          },
        },
        agents: { defaults: { model: { primary: ROUTED }, heartbeat: { every: '0m' } } },
      },
      null,
      2,
    )}\n`,
  );
  gateway = await startGateway(bin, { port, env, cwd: home, readyTimeoutMs: 150_000 });
}, 200_000);

afterAll(async () => {
  await gateway?.stop();
  await daemon?.stop();
  await kimi?.close();
  await claude?.close();
  if (home) rmSync(home, { recursive: true, force: true });
}, 60_000);

const cli = (args: string[]) =>
  runOpenclaw(bin, args, {
    env: { ...env, OPENCLAW_GATEWAY_PORT: String(gateway!.port), OPENCLAW_GATEWAY_TOKEN: GATEWAY_TOKEN },
    cwd: home,
    timeoutMs: 150_000,
  });

describe(`a real OpenClaw ${OPENCLAW_VERSION} with its bundled clawrouter plugin pointed at smart-routerd`, () => {
  it('`openclaw models list --all --provider clawrouter` lists the catalog, the routed model included', async () => {
    const r = await cli(['models', 'list', '--all', '--provider', 'clawrouter', '--json']);
    expect(r.status, explain(r)).toBe(0);
    const rows = stdoutJson<{ models: Array<{ key: string; available?: boolean }> }>(r).models.map((m) => m.key);
    expect(rows, explain(r)).toEqual(expect.arrayContaining([ROUTED, 'clawrouter/anthropic/claude-opus-4-5', 'clawrouter/openrouter/moonshotai/kimi-k2.5']));
  });

  it.each([
    { text: 'Write a Python rate limiter with the token bucket algorithm', to: 'claude' },
    { text: "Hey, what's up? Tell me something interesting.", to: 'kimi' },
  ])('`openclaw agent --model clawrouter/smart-routerd/auto`: "$text" is routed to $to and its reply printed', async ({ text, to }) => {
    const fake = to === 'claude' ? claude : kimi;
    const before = fake.received.length;
    const r = await cli(['agent', '--agent', 'main', '--model', ROUTED, '--session-key', `claw-${to}`, '--message', text, '--json', '--timeout', '120']);
    expect(r.status, explain(r)).toBe(0);
    const out = stdoutJson<{ status?: string; result?: { payloads?: Array<{ text?: string | null }> } }>(r);
    expect(
      out.result?.payloads?.map((p) => p.text),
      explain(r),
    ).toEqual([replyText(to, text)]);
    const hits = fake.received.slice(before).filter((q) => userWords(q.json) === text);
    expect(hits, explain(r)).toHaveLength(1);
  });

  it('`openclaw status --usage` shows the key’s budget window and its totals', async () => {
    const r = await cli(['status', '--usage', '--json']);
    expect(r.status, explain(r)).toBe(0);
    type Provider = {
      provider: string;
      plan?: string;
      summary?: string;
      windows?: Array<{ label: string; usedPercent: number }>;
      billing?: Array<{ type: string; used: number; limit: number }>;
    };
    const providers = stdoutJson<{ usage?: { providers?: Provider[] } }>(r).usage?.providers ?? [];
    const claw = providers.find((p) => p.provider === 'clawrouter');
    expect(claw, explain(r)).toBeDefined();
    // The two turns above: one Claude answer and one Kimi answer, at the fakes' token counts.
    const spent = (8 * 5 + 7 * 25 + 4 * 0.5 + 8 * 0.6 + 7 * 3 + 4 * 0.1) / 1e6;
    expect(claw!.plan).toBe('Managed monthly budget');
    expect(claw!.summary, explain(r)).toMatch(/^2 requests · 38 tokens · \$0\.\d+ used$/);
    expect(claw!.windows?.[0]?.label).toBe('Monthly budget');
    expect(claw!.billing?.[0]).toMatchObject({ type: 'budget', limit: 50, used: expect.closeTo(spent, 6) });
    const text = await cli(['status', '--usage']);
    expect(text.stdout, explain(text)).toMatch(/ClawRouter \(Managed monthly budget\)[\s\S]*2 requests · 38 tokens[\s\S]*Monthly budget: \d+% left/);
  });
});
