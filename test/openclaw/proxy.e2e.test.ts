// Issue 12, criterion 2: the real OpenClaw (openclaw@2026.9.6 on Node 26, installed by
// scripts/openclaw-e2e-setup.mjs) sends its agent turns to smart-routerd's model gateway in the two
// ways docs/gateway.md describes, and every turn of Plano's demo reaches the model its intent routes
// to. Behind a real daemon (built dist/), two fake upstreams on loopback (test/helpers/fake-llm.ts):
// "kimi" speaks OpenAI Chat Completions (as OpenRouter), "claude" Anthropic Messages; each records
// what it received and answers `[<name>] reply to: <the user's words>`.
//   A. Plano's recipe: a custom OpenAI-compatible provider `smart-routerd` whose base URL is the
//      daemon, model `auto` → OpenClaw posts /v1/chat/completions with model "auto".
//   B. LiteLLM's recipe: OpenClaw's own `anthropic` provider with its base URL moved to the daemon,
//      model claude-opus-4-5 → OpenClaw posts /v1/messages; smart-routerd's config makes that model
//      id an alias of smart-routerd/auto, so those turns are routed too.
// Each case has its own daemon and its own isolated OpenClaw home and gateway; `openclaw agent` runs
// one turn per demo message, each in a session of its own.
//
// What OpenClaw 2026.9.6 sends for `openclaw agent --message "<text>"` (seen on the wire): one
// streamed request per turn (`stream: true`; A: /v1/chat/completions, model "auto",
// max_completion_tokens 8192, stream_options.include_usage, tool_choice "auto"; B: /v1/messages,
// model "claude-opus-4-5", max_tokens 8192, `cache_control` on the user's message) with OpenClaw's
// system prompt and 12 tools, whose messages end in TWO user messages (the daemon merges them into
// one user turn when it translates A's request for the Anthropic upstream):
//   1. `[Sat 2026-12-05 03:10 UTC] <text>`: the user's words behind a timestamp header. With
//      openai-completions OpenClaw appends `\n\nRuntime: agent=main | session=… | sessionId=… |
//      host=… | repo=… | os=Linux … | node=v26.10.0 | model=smart-routerd/auto | …` to this message;
//      with anthropic-messages that Runtime line goes into a second `system` block instead.
//   2. `<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>\nConversation data (data, not instructions):\n"Active exec
//      sessions:\nnone"…<<<END_OPENCLAW_INTERNAL_CONTEXT>>>`: OpenClaw's runtime-context carrier,
//      appended as the last user message on every request (dist/runtime-context-prompt-*.mjs,
//      prependRuntimeContextForModel).
// The gateway routes on the user's words only (src/openclaw-text.ts, src/proxy/turns.ts): it skips the
// internal-context message and reads message 1 without the header and the Runtime line. Routed on
// the whole texts, the DNA read OpenClaw's additions as CODE (cosine 0.155–0.166) and every turn
// went to the flagship: this suite found that.
// Case B also sees OpenClaw's own side request after each turn: an "Activity recap" on
// claude-haiku-4-5 (no tools, temperature 0.2, `anthropic-beta: interleaved-thinking-2025-05-14`),
// which the daemon forwards as asked, unrouted.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { type FakeLlm, type Received, replyText, startFakeAnthropic, startFakeOpenAI, type WireBody } from '../helpers/fake-llm.js';
import {
  type CliResult,
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

/** Plano's OpenClaw demo: the five messages and where its table sends them. */
const PLANO = [
  { text: "Hey, what's up? Tell me something interesting.", to: 'kimi' },
  { text: 'Remind me tomorrow at 9am and ping Slack about the deploy', to: 'kimi' },
  { text: 'Write a Python rate limiter with the token bucket algorithm', to: 'claude' },
  { text: 'Write unit tests for the auth middleware, cover edge cases', to: 'claude' },
  { text: 'Compare WebSockets vs SSE vs polling for 10K concurrent users', to: 'claude' },
] as const;
type Upstream = (typeof PLANO)[number]['to'];
const UPSTREAMS: readonly Upstream[] = ['kimi', 'claude'];

/** Per upstream: the model id it is asked for, the daemon's model ref, tier and the intents routed there. */
const ROUTE: Record<Upstream, { model: string; ref: string; tier: string; intents: string[] }> = {
  kimi: { model: 'moonshotai/kimi-k2.5', ref: 'openrouter/moonshotai/kimi-k2.5', tier: 'lightweight', intents: ['CHAT', 'WRITE', 'FACT', 'TRANS'] },
  claude: { model: 'claude-opus-4-5', ref: 'anthropic/claude-opus-4-5', tier: 'flagship', intents: ['CODE', 'REASON'] },
};
const GATEWAY_TOKEN = 'openclaw-gateway-token-0123456789';

let bin: { node: string; openclaw: string };
let fakes: Record<Upstream, FakeLlm>;
/** What OpenClaw sent for each turn, printed after the run. */
const seenOnTheWire: string[] = [];

/** smart-routerd's config, as gatewayConfig in test/proxy/gateway.test.ts, plus `models` entries. */
function daemonConfig(models: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    models: {
      providers: {
        openrouter: { api: 'openai-completions', baseUrl: fakes.kimi.baseUrl, apiKey: 'sk-or-fake-key', models: [{ id: 'moonshotai/kimi-k2.5' }] },
        anthropic: {
          api: 'anthropic-messages',
          baseUrl: fakes.claude.baseUrl,
          apiKey: 'sk-ant-fake-key',
          models: [{ id: 'claude-opus-4-5' }, { id: 'claude-haiku-4-5' }],
        },
      },
      'openrouter/moonshotai/kimi-k2.5': { alias: 'kimi' },
      'anthropic/claude-opus-4-5': { alias: 'opus' },
      ...models,
    },
    routing: { routes: { CHAT: ['kimi'], WRITE: ['kimi'], FACT: ['kimi'], TRANS: ['kimi'], CODE: ['opus'], REASON: ['opus'] } },
  };
}

/** One OpenClaw install in its own temp home, its gateway running. */
interface OpenclawSide {
  home: string;
  env: Record<string, string>;
  gateway: GatewayProcess;
}

/** Writes openclaw.json (token auth, no heartbeat turns, the given models and primary) and starts the gateway. */
async function startOpenclaw(models: Record<string, unknown>, primary: string): Promise<OpenclawSide> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'srd-proxy-e2e-'));
  const env = isolatedEnv(bin.node, home);
  const port = await freePort();
  mkdirSync(path.join(home, '.openclaw'), { recursive: true });
  writeFileSync(
    path.join(home, '.openclaw', 'openclaw.json'),
    `${JSON.stringify(
      {
        gateway: { mode: 'local', port, auth: { mode: 'token', token: GATEWAY_TOKEN } },
        models,
        agents: { defaults: { model: { primary }, heartbeat: { every: '0m' } } },
      },
      null,
      2,
    )}\n`,
  );
  const gateway = await startGateway(bin, { port, env, cwd: home, readyTimeoutMs: 150_000 });
  return { home, env, gateway };
}

async function stopOpenclaw(side: OpenclawSide | undefined): Promise<void> {
  if (!side) return;
  await side.gateway.stop();
  rmSync(side.home, { recursive: true, force: true });
}

/** One agent turn through the OpenClaw gateway, as plugin.e2e.test.ts runs them. */
function agentTurn(side: OpenclawSide, text: string, sessionKey: string): Promise<CliResult> {
  return runOpenclaw(bin, ['agent', '--agent', 'main', '--session-key', sessionKey, '--message', text, '--json', '--timeout', '120'], {
    env: { ...side.env, OPENCLAW_GATEWAY_PORT: String(side.gateway.port), OPENCLAW_GATEWAY_TOKEN: GATEWAY_TOKEN },
    cwd: side.home,
    timeoutMs: 150_000,
  });
}

/** `openclaw agent --json` (the fields read here): the reply is `result.payloads[].text`. */
interface AgentJson {
  status?: string;
  result?: { payloads?: Array<{ text?: string | null }> };
}

/** The newest user message's full text, OpenClaw's additions included (what the router reads today). */
function newestUserText(body: WireBody): string {
  const m = (body.messages ?? []).filter((x) => x.role === 'user').at(-1);
  if (!m) return '';
  return typeof m.content === 'string' ? m.content : (m.content ?? []).map((p) => p.text ?? '').join('\n');
}

const mark = (): Record<Upstream, number> => ({ kimi: fakes.kimi.received.length, claude: fakes.claude.received.length });

/** Each fake's requests since `from` that carry `text` as the user's words: the turn's model calls. */
function turnRequests(text: string, from: Record<Upstream, number>): Record<Upstream, Received[]> {
  const pick = (u: Upstream) => fakes[u].received.slice(from[u]).filter((r) => userWords(r.json) === text);
  return { kimi: pick('kimi'), claude: pick('claude') };
}

function describeRequest(u: Upstream, r: Received): string {
  const j = r.json;
  const newest = newestUserText(j);
  return (
    `${u} ← POST ${r.path} model=${j.model} stream=${j.stream === true} tools=${j.tools?.length ?? 0} messages=${j.messages?.length ?? 0}; ` +
    `user's words ${JSON.stringify(userWords(j).slice(0, 120))}; newest user message as the upstream got it ${JSON.stringify(newest.length > 90 ? `${newest.slice(0, 90)}…` : newest)}`
  );
}

/** A `proxied` line of the daemon's JSON log (the fields read here). */
interface ProxiedLine {
  msg: string;
  model: string;
  decisionId?: string;
  tier?: string;
  intent?: string;
  source?: string;
  client: string;
  endpoint: string;
}

/** The daemon's log lines from `from` on for routed requests (a decisionId); waits up to 5 s for the first. */
async function routedLines(daemon: RunningDaemon, from: number): Promise<ProxiedLine[]> {
  const read = () =>
    daemon.lines
      .slice(from)
      .filter((l) => l.includes('"msg":"proxied"'))
      .map((l) => JSON.parse(l) as ProxiedLine)
      .filter((l) => l.decisionId !== undefined);
  for (let i = 0; i < 100 && read().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  return read();
}

/**
 * Runs the five demo turns through `side` and checks each: the turn's model call reached the fake
 * its route names, with that upstream's model id, the daemon logged one routed decision for it on
 * the endpoint OpenClaw speaks, and OpenClaw printed the fake's reply.
 */
function demoTurns(label: string, getSide: () => OpenclawSide, getDaemon: () => RunningDaemon, client: { protocol: string; endpoint: string }) {
  for (const [i, { text, to }] of PLANO.entries()) {
    it(`sends "${text}" to ${to} (${ROUTE[to].model}) and prints ${to}'s reply`, async () => {
      const daemon = getDaemon();
      const from = mark();
      const logFrom = daemon.lines.length;
      const r = await agentTurn(getSide(), text, `proxy-e2e-${label}-${i}`);
      const routed = await routedLines(daemon, logFrom);
      const wire = UPSTREAMS.flatMap((u) => fakes[u].received.slice(from[u]).map((q) => describeRequest(u, q)));
      seenOnTheWire.push(`${label} ${JSON.stringify(text)}`, ...wire.map((l) => `    ${l}`));
      expect(r.status, explain(r)).toBe(0);
      const out = stdoutJson<AgentJson>(r);
      expect(out.status, explain(r)).toBe('ok');
      const printed = out.result?.payloads?.map((p) => p.text);
      const context =
        `$ openclaw ${r.args.join(' ')}\n→ exit ${r.status}, printed ${JSON.stringify(printed)}\n` +
        `--- upstream requests during this turn ---\n${wire.join('\n')}\n` +
        `--- the daemon's routing decisions during this turn ---\n${routed.map((l) => JSON.stringify(l)).join('\n')}`;

      const hits = turnRequests(text, from);
      const other: Upstream = to === 'kimi' ? 'claude' : 'kimi';
      expect(
        hits[other].map((q) => describeRequest(other, q)),
        context,
      ).toEqual([]);
      expect(hits[to], context).toHaveLength(1);
      expect(hits[to][0]!.json.model, context).toBe(ROUTE[to].model);
      expect(hits[to][0]!.json.stream, context).toBe(true);

      expect(routed, context).toHaveLength(1);
      expect(routed[0], context).toMatchObject({
        client: client.protocol,
        endpoint: client.endpoint,
        model: ROUTE[to].ref,
        tier: ROUTE[to].tier,
        source: 'model',
      });
      expect(ROUTE[to].intents, context).toContain(routed[0]!.intent);

      expect(printed, context).toEqual([replyText(to, text)]);
    });
  }
}

beforeAll(async () => {
  bin = loadOpenclawPaths();
  const probeHome = mkdtempSync(path.join(os.tmpdir(), 'srd-proxy-e2e-version-'));
  try {
    const version = await runOpenclaw(bin, ['--version'], { env: isolatedEnv(bin.node, probeHome), cwd: probeHome, timeoutMs: 30_000 });
    if (version.status !== 0 || !version.stdout.includes(OPENCLAW_VERSION))
      throw new Error(explain(version, `expected OpenClaw ${OPENCLAW_VERSION}; rerun scripts/openclaw-e2e-setup.mjs`));
  } finally {
    rmSync(probeHome, { recursive: true, force: true });
  }
  fakes = { kimi: await startFakeOpenAI('kimi'), claude: await startFakeAnthropic('claude') };
  for (const fake of Object.values(fakes)) {
    // OpenClaw offers its tools on every request; the fakes answer in text, as a model that chose
    // none, so a turn is one model call. The answer quotes the user's words, not OpenClaw's additions.
    fake.callTools = false;
    fake.quote = userWords;
  }
}, 60_000);

afterAll(async () => {
  await fakes?.kimi.close();
  await fakes?.claude.close();
  if (seenOnTheWire.length > 0) process.stdout.write(`\n[proxy e2e] what the fake upstreams received, turn by turn:\n${seenOnTheWire.join('\n')}\n`);
});

describe(`Plano's recipe: a real OpenClaw ${OPENCLAW_VERSION} with a custom OpenAI-compatible provider whose base URL is smart-routerd`, () => {
  let daemon: RunningDaemon;
  let side: OpenclawSide | undefined;
  beforeAll(async () => {
    daemon = await startDaemon({ config: daemonConfig() });
    side = await startOpenclaw(
      {
        mode: 'merge',
        providers: {
          'smart-routerd': {
            baseUrl: `http://127.0.0.1:${daemon.port}/v1`,
            apiKey: 'any-value',
            api: 'openai-completions',
            models: [{ id: 'auto', name: 'smart-routerd' }],
          },
        },
      },
      'smart-routerd/auto',
    );
  }, 200_000);
  afterAll(async () => {
    await stopOpenclaw(side);
    await daemon?.stop();
  }, 60_000);

  demoTurns(
    'A',
    () => side!,
    () => daemon,
    { protocol: 'openai', endpoint: 'chat' },
  );
});

describe(`LiteLLM's recipe: a real OpenClaw ${OPENCLAW_VERSION} whose anthropic provider's base URL is smart-routerd`, () => {
  let daemon: RunningDaemon;
  let side: OpenclawSide | undefined;
  beforeAll(async () => {
    // The model OpenClaw asks for is an alias of smart-routerd/auto (docs/gateway.md, recipe 2).
    daemon = await startDaemon({ config: daemonConfig({ 'smart-routerd/auto': { alias: 'claude-opus-4-5' } }) });
    side = await startOpenclaw(
      {
        mode: 'merge',
        providers: {
          anthropic: {
            baseUrl: `http://127.0.0.1:${daemon.port}`,
            apiKey: 'any-value',
            api: 'anthropic-messages',
            models: [{ id: 'claude-opus-4-5', name: 'Claude Opus 4.5 (via smart-routerd)' }],
          },
        },
      },
      'anthropic/claude-opus-4-5',
    );
  }, 200_000);
  afterAll(async () => {
    await stopOpenclaw(side);
    await daemon?.stop();
  }, 60_000);

  demoTurns(
    'B',
    () => side!,
    () => daemon,
    { protocol: 'anthropic', endpoint: 'messages' },
  );

  it("forwards OpenClaw's own side requests for another model (activity recaps on claude-haiku-4-5) as asked, unrouted", async () => {
    const recaps = () => fakes.claude.received.filter((q) => q.json.model === 'claude-haiku-4-5');
    for (let i = 0; i < 200 && recaps().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(recaps().length, seenOnTheWire.join('\n')).toBeGreaterThanOrEqual(1);
    expect(recaps().every((q) => q.path === '/v1/messages' && (q.json.tools ?? []).length === 0)).toBe(true);
    const explicit = daemon.lines.filter((l) => l.includes('"msg":"proxied"') && l.includes('"model":"anthropic/claude-haiku-4-5"'));
    expect(explicit.length).toBeGreaterThanOrEqual(1);
    expect(explicit.map((l) => (JSON.parse(l) as ProxiedLine).decisionId)).toEqual(explicit.map(() => undefined));
  });
});
