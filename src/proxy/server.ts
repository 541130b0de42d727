import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { isSrdError } from '../errors.js';
import { channels, type ProxyRequestEvent, type ProxyStartEvent, publish, type UpstreamAttemptEvent } from '../events.js';
import { KEY_PREFIX, KeyLimitError, type KeyRecord, type Ledger } from '../ledger/index.js';
import { matchPrefix, type RouteDecision, type RouteOptions } from '../routing/index.js';
import {
  type AuthProfile,
  authProfiles,
  type Candidate,
  CooldownStore,
  candidates,
  FAILURE_RULES,
  ModelCatalog,
  modelChain,
  type Provider,
  pairKey,
  type ResolvedModel,
  readSecret,
  UpstreamClient,
  type UpstreamEndpoint,
} from '../upstream/index.js';
import { ADMIN_PATHS, type AdminCaller, handleAdmin } from './admin.js';
import { type AttemptOutcome, attempt, type BeforeEnd, type ClientRequest, relayFailure } from './attempt.js';
import { catalogBody, ROUTED_PROVIDER, usageBody } from './clawrouter.js';
import { ProxyError, readBody, sendError, sendJson } from './reply.js';
import { type StickyRemote, StickySessions } from './sticky.js';
import { TranslateError } from './translate/index.js';
import { type ClientProtocol, conversationKey, rewriteNewestUserText, routedText } from './turns.js';

/** What the model API needs from the daemon. */
export interface ModelApiOptions {
  /** Routes a text exactly as the WebSocket `route` method does (stats, decision log for route.feedback). */
  route: (text: string, options: RouteOptions) => Promise<RouteDecision>;
  /** The gateway token: always accepted as an API key. */
  token: string;
  /** Whether the gateway is bound to loopback (then any key is accepted unless proxy.requireKey). */
  loopback: boolean;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Where cooldowns are kept across restarts (null: in memory only). */
  stateDir: string | null;
  /** Clock of the cooldowns (tests: a fake clock), epoch ms. */
  now?: () => number;
  /** The usage ledger and virtual keys (ledger/), or null when `ledger.enabled` is false. */
  ledger?: Ledger | null;
}

/** Who sent a request: the key presented, its ledger name, and its virtual key record when it is one. */
interface Caller {
  key: string | null;
  /** `master`, `config-key`, `anonymous`, or the virtual key's alias (else its preview). */
  name: string;
  virtual: KeyRecord | null;
}

/** Endpoints that become a metrics label value as they are (any other path: `other`). */
const KNOWN_ENDPOINTS = new Set(['/v1/chat/completions', '/v1/messages', '/v1/responses', '/v1/models']);

/** Session headers a client may send to name its conversation (first match wins). */
const SESSION_HEADERS = ['x-smart-router-session', 'x-session-id', 'x-openclaw-session-key'];

/** What was decided for one request, for the response headers and the log. */
interface Decided {
  target: ResolvedModel;
  decision: RouteDecision | null;
  note: string | null;
  /** The newest user text was rewritten (prefix stripped): the body can no longer pass through byte for byte. */
  stripped: boolean;
}

/**
 * The model API on the gateway port (DESIGN.md §10, issue 12): `POST /v1/chat/completions` (OpenAI
 * Chat Completions), `POST /v1/messages` (Anthropic Messages), `POST /v1/responses` (OpenAI
 * Responses, OpenAI-protocol upstreams only) and `GET /v1/models`. A request for
 * `smart-routerd/auto` (or `auto`, or an alias of them) is routed on its newest user turn; any other
 * model is forwarded as asked. Same protocol upstream: the body passes through with only `model`
 * replaced; other protocol: translated (translate/). Every answer names the decision in
 * `x-smart-router-*` headers. Errors come in the client protocol's own shape.
 */
export class ModelApi {
  private readonly opts: ModelApiOptions;
  private config!: Config;
  private catalog!: ModelCatalog;
  private sticky!: StickySessions;
  private client!: UpstreamClient;
  private profiles!: Map<string, AuthProfile[]>;
  private readonly cooldowns: CooldownStore;
  private stickyTtl = -1;
  /** A team's shared session pins (issue 20), kept across sticky-TTL changes. */
  private stickyRemote: StickyRemote | null = null;
  /** Candidates tried per answered request, for the request event (metrics). */
  private readonly attemptsOf = new WeakMap<ServerResponse, number>();
  /** Requests in flight per API key (or peer address). */
  private readonly inFlight = new Map<string, number>();

  constructor(config: Config, opts: ModelApiOptions) {
    this.opts = opts;
    this.cooldowns = new CooldownStore({ stateDir: opts.stateDir, settings: config.auth.cooldowns, ...(opts.now ? { now: opts.now } : {}) });
    if (this.cooldowns.loadError) opts.logger.warn(this.cooldowns.loadError);
    this.configure(config);
  }

  /** Applies a (re)loaded config: catalogue, timeouts; sticky sessions survive unless their TTL changed. */
  configure(config: Config): void {
    const previous = this.client;
    this.config = config;
    this.catalog = new ModelCatalog(config, this.opts.env ?? process.env);
    this.profiles = authProfiles(config, this.catalog, this.opts.env ?? process.env);
    this.cooldowns.configure(config.auth.cooldowns);
    if (config.routing.sticky.ttlMinutes !== this.stickyTtl) {
      this.sticky = new StickySessions(config.routing.sticky.ttlMinutes);
      this.sticky.share(this.stickyRemote);
      this.stickyTtl = config.routing.sticky.ttlMinutes;
    }
    this.client = new UpstreamClient(config.proxy.timeouts);
    void previous?.close();
  }

  /** Whether `path` belongs to the model API (or its key admin API). */
  handles(path: string): boolean {
    return path.startsWith('/v1/') || ADMIN_PATHS.has(path);
  }

  /** Answers one HTTP request. Never throws; every failure is an answer in the client's protocol. */
  handle(req: IncomingMessage, res: ServerResponse, target: string): void {
    // ClawRouter's native routes (`/v1/native/<provider>/v1/messages`, …): the same endpoints, the model named within that provider.
    const native = /^\/v1\/native\/([^/]+)\/(?:v1\/)?(chat\/completions|messages|responses)$/.exec(target);
    const path = native ? `/v1/${native[2]}` : target;
    const protocol: ClientProtocol = path === '/v1/messages' || req.headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai';
    const endpoint = KNOWN_ENDPOINTS.has(path) ? path : 'other';
    const start: ProxyStartEvent = { endpoint, method: req.method ?? 'GET', ts: Date.now(), requestModel: null, responseModel: null, decision: null };
    // runStores: listeners (tracing) may bind async context to the request; without any it only calls dispatch.
    const handled = channels.proxyStart.runStores(start, () => this.dispatch(req, res, path, protocol, start, native?.[1] ?? null));
    handled.catch((err: unknown) => {
      if (isSrdError(err)) {
        // The router's own refusals (starting, draining): retryable for the client.
        sendError(res, protocol, err.wire === 'UNAVAILABLE' ? 503 : 400, err.message);
        return;
      }
      if (err instanceof TranslateError) {
        // The request has content the other protocol cannot carry (translate/: the field at fault).
        sendError(res, protocol, 400, err.param ? `${err.message} (at ${err.param})` : err.message);
        return;
      }
      if (err instanceof ProxyError) {
        sendError(res, protocol, err.status, err.message, err.code, err.headers);
        if (err.status === 413) res.once('finish', () => req.socket.destroy());
        return;
      }
      this.opts.logger.error({ err, path }, 'model API request failed');
      sendError(res, protocol, 500, 'internal error in smart-routerd');
    });
  }

  /**
   * Shares this instance's sticky sessions with a team's (issue 20: cluster/redis.ts), or stops
   * sharing them (null). The cooldowns are shared through `cooldownStore` (CooldownStore.onRecord/adopt).
   */
  share(sticky: StickyRemote | null): void {
    this.stickyRemote = sticky;
    this.sticky.share(sticky);
  }

  /** The cooldowns of providers and (provider, model) pairs this instance routes by. */
  get cooldownStore(): CooldownStore {
    return this.cooldowns;
  }

  /** Each cooling (or recently failed) profile and (profile, model), for `status` and `health`. */
  cooldownStatus(): ReturnType<CooldownStore['status']> {
    return this.cooldowns.status();
  }

  /** Closes upstream connections. */
  async close(): Promise<void> {
    await this.client.close();
  }

  private async dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    protocol: ClientProtocol,
    start: ProxyStartEvent,
    nativeProvider: string | null,
  ): Promise<void> {
    if (ADMIN_PATHS.has(path)) {
      if (!this.opts.ledger) throw new ProxyError(404, `${path}: the usage ledger is off (ledger.enabled = false), so there are no virtual keys`);
      await handleAdmin(req, res, path, this.opts.ledger, await this.adminCaller(req));
      return;
    }
    res.once('finish', () => {
      const attempts = this.attemptsOf.get(res) ?? 0;
      publish<ProxyRequestEvent>(channels.proxyRequest, { endpoint: start.endpoint, status: res.statusCode, attempts, start });
    });
    const caller = await this.authorize(req);
    // Concurrent requests per client (issue 15: the model API gets the gateway's limits).
    const client = caller.key ?? `peer:${req.socket.remoteAddress ?? ''}`;
    const inFlight = this.inFlight.get(client) ?? 0;
    if (inFlight >= this.config.proxy.maxConcurrentPerKey) {
      throw new ProxyError(
        429,
        `too many concurrent requests for this key (proxy.maxConcurrentPerKey = ${this.config.proxy.maxConcurrentPerKey}); retry when one finishes`,
        null,
        {
          'retry-after': '1',
        },
      );
    }
    this.inFlight.set(client, inFlight + 1);
    res.once('close', () => {
      const n = (this.inFlight.get(client) ?? 1) - 1;
      if (n <= 0) this.inFlight.delete(client);
      else this.inFlight.set(client, n);
    });
    if (path === '/v1/models') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new ProxyError(405, 'use GET /v1/models');
      sendJson(res, 200, this.modelList(protocol));
      return;
    }
    if (path === '/v1/catalog') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new ProxyError(405, 'use GET /v1/catalog');
      const ledger = this.opts.ledger;
      const auto = this.config.proxy.autoModels[0] ?? 'smart-routerd/auto';
      const body = catalogBody(
        this.catalog,
        auto.includes('/') ? auto : `${ROUTED_PROVIDER}/${auto}`,
        (ref, model) => ledger?.priceOf(ref, model) ?? null,
        (ref, provider, model) => this.contextWindow(ref, provider, model),
      );
      sendJson(res, 200, body);
      return;
    }
    if (path === '/v1/usage') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new ProxyError(405, 'use GET /v1/usage');
      if (!this.opts.ledger) throw new ProxyError(404, 'the usage ledger is off (ledger.enabled = false)');
      sendJson(res, 200, await usageBody(this.opts.ledger, caller.virtual, Date.now()));
      return;
    }
    const endpoint: UpstreamEndpoint | null =
      path === '/v1/chat/completions' ? 'chat' : path === '/v1/messages' ? 'messages' : path === '/v1/responses' ? 'responses' : null;
    if (!endpoint) throw new ProxyError(404, `no such endpoint: ${path} (POST /v1/chat/completions, /v1/messages, /v1/responses; GET /v1/models)`);
    if (req.method !== 'POST') throw new ProxyError(405, `use POST ${path}`);
    const raw = await readBody(req, this.config.proxy.maxBodyBytes);
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch (err) {
      throw new ProxyError(400, `invalid JSON body: ${(err as Error).message}`);
    }
    if (typeof body.model !== 'string' || body.model.length === 0) throw new ProxyError(400, 'model: required (a model ref, an alias, or smart-routerd/auto)');
    if (nativeProvider !== null && nativeProvider !== ROUTED_PROVIDER && !body.model.startsWith(`${nativeProvider}/`)) {
      // A native route names the model as its provider knows it (ClawRouter's `upstream`).
      body.model = `${nativeProvider}/${body.model}`;
    }
    const model = body.model as string;
    start.requestModel = model;
    const decided = await this.decide(req, body, protocol, endpoint);
    if (caller.virtual) await this.admit(caller.virtual, model, decided.target.ref);
    const d = decided.decision;
    if (d) start.decision = { decisionId: d.decisionId, tier: d.modelTier, intent: d.intent, source: decidedSource(decided) };
    await this.forward(req, res, { raw: raw.toString('utf8'), body, protocol, endpoint, decided, start, caller, path });
  }

  /**
   * Inbound auth (issue 12, issue 14): a virtual key (`sk-srd-…`) must be one this gateway issued and
   * not revoked, wherever the gateway is bound; otherwise any key on loopback unless
   * proxy.requireKey, and off loopback the token, the master key or a configured key. The caller's
   * key names the client for the concurrency limit and the ledger.
   */
  private async authorize(req: IncomingMessage): Promise<Caller> {
    const key = presentedKey(req);
    if (key?.startsWith(KEY_PREFIX) && this.opts.ledger) {
      const record = await this.opts.ledger.keys.find(key);
      if (!record) throw new ProxyError(401, 'invalid API key: not a key this smart-routerd issued');
      if (record.revokedAt !== null) throw new ProxyError(401, `this key was revoked at ${new Date(record.revokedAt).toISOString()}`);
      return { key, name: record.alias ?? record.preview, virtual: record };
    }
    const master = key !== null && (key === this.opts.token || key === this.masterKey());
    const known = master || (key !== null && this.config.proxy.keys.includes(key));
    const name = master ? 'master' : known ? 'config-key' : 'anonymous';
    const required = this.config.proxy.requireKey || !this.opts.loopback;
    if (!required || known) return { key, name, virtual: null };
    throw new ProxyError(401, key === null ? 'API key required: send Authorization: Bearer <key> or x-api-key' : 'invalid API key');
  }

  /** The caller of a key admin request: the master key (always required there, loopback or not) or a virtual key. */
  private async adminCaller(req: IncomingMessage): Promise<AdminCaller> {
    const key = presentedKey(req);
    if (key === null) return { kind: 'none' };
    if (key === this.masterKey()) return { kind: 'master' };
    if (key.startsWith(KEY_PREFIX)) {
      const record = await this.opts.ledger?.keys.find(key);
      if (record && record.revokedAt === null) return { kind: 'key', record };
    }
    throw new ProxyError(401, 'invalid key for the admin API: use the master key (proxy.masterKey, default the gateway token)');
  }

  /** `proxy.masterKey` (a literal or env reference), else the gateway token. */
  private masterKey(): string {
    return readSecret(this.config.proxy.masterKey, this.opts.env ?? process.env) ?? this.opts.token;
  }

  /** Applies a virtual key's models, budget and rate limits (ledger/keys.ts): 403 or 429 naming the limit and its reset. */
  private async admit(key: KeyRecord, requested: string, ref: string): Promise<void> {
    try {
      await this.opts.ledger?.keys.admit(key, [requested, this.catalog.aliases.get(requested) ?? requested, ref]);
    } catch (err) {
      if (!(err instanceof KeyLimitError)) throw err;
      const headers: Record<string, string> = {};
      if (err.resetAt !== null) headers['retry-after'] = String(Math.max(1, Math.ceil((err.resetAt - Date.now()) / 1000)));
      const code =
        err.limit === 'max_budget'
          ? 'budget_exceeded'
          : err.limit === 'models'
            ? 'model_not_allowed'
            : err.limit === 'revoked'
              ? 'invalid_api_key'
              : 'rate_limit_exceeded';
      throw new ProxyError(err.status, err.message, code, headers);
    }
  }

  /** Runs the router for auto models and applies sticky sessions; resolves the target model. */
  private async decide(req: IncomingMessage, body: Record<string, unknown>, protocol: ClientProtocol, endpoint: UpstreamEndpoint): Promise<Decided> {
    const requested = body.model as string;
    const auto = this.isAuto(requested);
    let ref = requested;
    let decision: RouteDecision | null = null;
    let note: string | null = null;
    let stripped = false;
    if (auto) {
      const messages = endpoint === 'responses' ? responsesMessages(body.input) : body.messages;
      decision = await this.opts.route(routedText(messages), { learn: true, via: 'proxy' });
      if (decision.source === 'prefix' && endpoint !== 'responses') {
        // The model never sees a prefix command (as with the OpenClaw plugin's text transform).
        stripped = rewriteNewestUserText(body.messages, (text) => matchPrefix(text, this.config.prefix)?.text ?? text);
      }
      const header = SESSION_HEADERS.map((h) => req.headers[h]).find((v): v is string => typeof v === 'string' && v.length > 0);
      const key = header ? `h:${header}` : conversationKey(protocol, body as { messages?: unknown; system?: unknown });
      // Sessions pin model refs, not aliases, so a pin reads the same in headers and logs.
      const chosen = this.catalog.resolve(decision.selectedModel)?.ref ?? decision.selectedModel;
      const outcome = await this.sticky.decide(key, { model: chosen, tier: decision.modelTier, forced: decision.source === 'prefix' });
      ref = outcome.model;
      note = outcome.note;
    }
    const target = this.catalog.resolve(ref);
    if (!target) {
      const known = this.catalog.listed(this.config.proxy.autoModels);
      const why = auto ? `the router chose ${ref}, but no provider serves it (configure models.providers or set its key)` : `unknown model: ${ref}`;
      throw new ProxyError(404, `${why}; models: ${known.join(', ') || '(none configured)'}`, 'model_not_found');
    }
    if (endpoint === 'responses' && target.provider.api !== 'openai-completions') {
      throw new ProxyError(400, `${target.ref} speaks anthropic-messages; /v1/responses is passed through to OpenAI-protocol providers only`);
    }
    if (!target.provider.apiKey && target.provider.builtin) {
      throw new ProxyError(
        503,
        `provider ${target.provider.id} has no API key: set ${keyVariable(target.provider.id)} or models.providers.${target.provider.id}.apiKey`,
      );
    }
    return { target, decision, note, stripped };
  }

  private isAuto(model: string): boolean {
    const autos = this.config.proxy.autoModels;
    return autos.includes(model) || autos.includes(this.catalog.aliases.get(model) ?? '');
  }

  /**
   * Tries the candidates of the decided model's chain in order (issue 13, docs/failover.md): each
   * failure is classified, cools what its class names, and decides whether the next candidate is
   * tried. The answer's headers name the model that answered and how many candidates were tried.
   */
  private async forward(
    req: IncomingMessage,
    res: ServerResponse,
    r: {
      raw: string;
      body: Record<string, unknown>;
      protocol: ClientProtocol;
      endpoint: UpstreamEndpoint;
      decided: Decided;
      start: ProxyStartEvent;
      caller: Caller;
      path: string;
    },
  ): Promise<void> {
    const { decision, target } = r.decided;
    const chain = modelChain(this.config, this.catalog, target.ref, decision ? { intent: decision.intent, tier: decision.modelTier } : null);
    const plan = candidates(chain, this.catalog, this.profiles, this.cooldowns, (ref, provider, model) => this.contextWindow(ref, provider, model));
    const controller = new AbortController();
    // Client gone before the answer is complete → abort the upstream request (issue 12).
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const request: ClientRequest = {
      req,
      res,
      protocol: r.protocol,
      endpoint: r.endpoint,
      raw: r.raw,
      body: r.body,
      rewritten: r.decided.stripped,
      stream: r.body.stream === true,
      maxAnswerBytes: this.config.proxy.maxBodyBytes * 4,
      signal: controller.signal,
    };
    const attempts: Array<{ model: string; profile: string; class: string; reason: string }> = [];
    let last: { cand: Candidate; outcome: Extract<AttemptOutcome, { kind: 'failed' }> } | null = null;
    let minContext = 0;
    // One id per request: the ledger row's, and the `x-request-id` every answer carries.
    const requestId = `req_${randomUUID()}`;
    r.start.requestId = requestId;
    const account = this.accountant(req, r, requestId);
    for (const cand of plan.candidates) {
      if (attempts.some((a) => a.model === cand.ref && a.class === 'not_found')) continue;
      if (minContext > 0 && (cand.contextWindow ?? 0) <= minContext) continue;
      if (cooling(this.cooldowns, cand)) continue; // cooled by an earlier attempt of this request
      const headers = { ...this.decisionHeaders(r.decided, cand.ref), 'x-smart-router-attempts': String(attempts.length + 1), 'x-request-id': requestId };
      const started = performance.now();
      const startedAt = Date.now();
      const outcome = await attempt(this.client, cand, request, headers, account(cand, attempts.length + 1));
      if (outcome.kind === 'aborted') {
        await account(cand, attempts.length + 1)({ status: 499, ttfbMs: Number.NaN, usage: null });
        return;
      }
      this.attemptsOf.set(res, attempts.length + 1);
      publish<UpstreamAttemptEvent>(channels.upstreamAttempt, {
        model: cand.ref,
        outcome: outcome.kind === 'answered' ? 'ok' : outcome.failure.class,
        ttfbMs: outcome.kind === 'answered' ? outcome.ttfbMs : null,
        provider: cand.provider.id,
        providerModel: cand.model,
        status: outcome.status,
        startedAt,
        ms: performance.now() - started,
      });
      if (outcome.kind === 'answered') {
        r.start.responseModel = cand.ref;
        this.log(r, 'proxied', {
          model: cand.ref,
          profile: cand.profile.id,
          status: outcome.status,
          ttfbMs: round3(outcome.ttfbMs),
          ms: round3(performance.now() - started),
          attempts: attempts.length + 1,
          failed: attempts.length > 0 ? attempts : undefined,
          midStreamError: outcome.midStreamError ?? undefined,
        });
        return;
      }
      const f = outcome.failure;
      attempts.push({ model: cand.ref, profile: cand.profile.id, class: f.class, reason: f.reason });
      this.cooldowns.record(cand.profile.id, cand.ref, f);
      last = { cand, outcome };
      const rule = FAILURE_RULES[f.class];
      if (rule.retry === 'none') break;
      if (rule.retry === 'larger-context') {
        minContext = cand.contextWindow ?? Number.MAX_SAFE_INTEGER;
      }
    }
    const headers = {
      ...this.decisionHeaders(r.decided, last?.cand.ref ?? target.ref),
      'x-smart-router-attempts': String(attempts.length),
      'x-request-id': requestId,
    };
    this.log(r, 'no candidate answered', { attempts, skipped: plan.skipped.length > 0 ? plan.skipped : undefined });
    if (last) {
      await account(last.cand, attempts.length, false)({ status: last.outcome.status ?? 502, ttfbMs: Number.NaN, usage: null });
      relayFailure(res, r.protocol, last.cand, last.outcome, headers);
      return;
    }
    await account(null, 0, false)({ status: 503, ttfbMs: Number.NaN, usage: null });
    // Nothing could be tried: every candidate is cooling down (or no provider serves the chain).
    const wait = Math.min(...plan.skipped.map((s) => s.readyInMs).filter((ms) => ms > 0), Number.POSITIVE_INFINITY);
    const detail = plan.skipped
      .map((s) => `${s.ref}${s.profile ? ` (${s.profile})` : ''}: ${s.reason}${s.readyInMs > 0 ? ` for ${Math.ceil(s.readyInMs / 1000)} s` : ''}`)
      .join('; ');
    const extra: Record<string, string> = Number.isFinite(wait) ? { 'retry-after': String(Math.ceil(wait / 1000)) } : {};
    sendError(res, r.protocol, 503, `no candidate available for ${target.ref}: ${detail}`, null, { ...headers, ...extra });
  }

  /**
   * The ledger's hook for one request (issue 14): given the candidate and attempt number, a
   * BeforeEnd that appends the request's row (priced from the upstream's reported usage) before its
   * answer ends. A ledger that cannot write is logged; the answer is still sent.
   */
  private accountant(
    req: IncomingMessage,
    r: { body: Record<string, unknown>; decided: Decided; caller: Caller; path: string; start: ProxyStartEvent },
    requestId: string,
  ): (cand: Candidate | null, attempts: number, answered?: boolean) => BeforeEnd {
    const ledger = this.opts.ledger;
    const started = performance.now();
    let done = false;
    const session = SESSION_HEADERS.map((h) => req.headers[h]).find((v): v is string => typeof v === 'string' && v.length > 0) ?? null;
    return (cand, attempts, answered = true) =>
      async ({ status, ttfbMs, usage }) => {
        if (!ledger || done) return;
        done = true;
        const d = r.decided.decision;
        try {
          const row = await ledger.record({
            id: requestId,
            ts: r.start.ts,
            keyHash: r.caller.virtual?.hash ?? null,
            keyName: r.caller.name,
            session,
            endpoint: r.path,
            requestedModel: String(r.body.model),
            model: answered ? (cand?.ref ?? null) : null,
            provider: cand?.provider.id ?? null,
            providerModel: cand?.model ?? null,
            tier: d?.modelTier ?? null,
            intent: d?.intent ?? null,
            decisionId: d?.decisionId ?? null,
            source: decidedSource(r.decided),
            tokens: usage,
            latencyMs: performance.now() - started,
            ttfbMs: Number.isNaN(ttfbMs) ? null : ttfbMs,
            status,
            attempts,
          });
          if (row.usageReported) {
            r.start.usage = {
              inputTokens: row.inputTokens,
              outputTokens: row.outputTokens,
              cacheReadTokens: row.cacheReadTokens,
              cacheWriteTokens: row.cacheWriteTokens,
              costUsd: row.costUsd,
              ttfbMs: row.ttfbMs,
            };
          }
        } catch (err) {
          this.opts.logger.error({ err }, 'usage ledger: could not record a request');
        }
      };
  }

  /** The context window of a model: `models.<ref>.contextWindow`, else the provider's model entry. */
  private contextWindow(ref: string, provider: Provider, model: string): number | null {
    const own = (this.config.models as Record<string, { contextWindow?: number }>)[ref]?.contextWindow;
    if (own) return own;
    return this.config.models.providers[provider.id]?.models.find((m) => m.id === model)?.contextWindow ?? null;
  }

  /** `x-smart-router-*` headers naming the decision (issue 12). */
  private decisionHeaders(d: Decided, answering: string): Record<string, string> {
    const h: Record<string, string> = { 'x-smart-router-model': answering };
    if (d.decision) {
      h['x-smart-router-tier'] = d.decision.modelTier;
      h['x-smart-router-intent'] = d.decision.intent ?? '';
      h['x-smart-router-source'] = decidedSource(d);
      h['x-smart-router-decision-id'] = d.decision.decisionId;
    } else {
      h['x-smart-router-source'] = 'explicit';
    }
    return h;
  }

  private log(r: { protocol: ClientProtocol; endpoint: UpstreamEndpoint; decided: Decided }, msg: string, extra: Record<string, unknown>): void {
    const d = r.decided.decision;
    this.opts.logger.info(
      {
        model: r.decided.target.ref,
        decided: r.decided.target.ref,
        decisionId: d?.decisionId,
        tier: d?.modelTier,
        intent: d?.intent,
        source: d?.source,
        sticky: r.decided.note ?? undefined,
        client: r.protocol,
        endpoint: r.endpoint,
        ...extra,
      },
      msg,
    );
  }

  /** `GET /v1/models`: OpenAI's list shape, or Anthropic's when the client sends `anthropic-version`. */
  private modelList(protocol: ClientProtocol): unknown {
    const ids = this.catalog.listed(this.config.proxy.autoModels);
    if (protocol === 'anthropic') {
      const data = ids.map((id) => ({ type: 'model', id, display_name: id, created_at: '2026-01-01T00:00:00Z' }));
      return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
    }
    return {
      object: 'list',
      data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: id.includes('/') ? id.slice(0, id.indexOf('/')) : 'smart-routerd' })),
    };
  }
}

/** The API key a request presents (`Authorization: Bearer` or `x-api-key`), or null. */
function presentedKey(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  const presented = typeof auth === 'string' && /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, '') : req.headers['x-api-key'];
  return typeof presented === 'string' && presented.length > 0 ? presented : null;
}

/** The OpenAI Responses `input` as chat-like messages, for routing (a string is one user turn). */
function responsesMessages(input: unknown): unknown {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input)) return [];
  return input.map((item: { role?: unknown; content?: unknown }) => ({
    role: item?.role,
    content: Array.isArray(item?.content)
      ? item.content.map((p: { type?: unknown; text?: unknown }) => (p?.type === 'input_text' ? { type: 'text', text: p.text } : p))
      : item?.content,
  }));
}

/** The deciding source as the answer's headers name it (`sticky` when a session kept its model). */
function decidedSource(d: Decided): string {
  return d.note?.startsWith('sticky') ? 'sticky' : (d.decision?.source ?? 'explicit');
}

/** The key variable of a built-in provider (upstream BUILTIN_PROVIDERS). */
function keyVariable(provider: string): string {
  return `${provider.toUpperCase()}_API_KEY`;
}

/** Rounds ms to µs for logs. */
const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/** Whether a candidate's profile or (profile, model) pair is cooling down now. */
function cooling(store: CooldownStore, cand: Candidate): boolean {
  return store.remainingMs(cand.profile.id) > 0 || store.remainingMs(pairKey(cand.profile.id, cand.ref)) > 0;
}
