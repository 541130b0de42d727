import type { Logger } from 'pino';
import { Cluster } from '../cluster/index.js';
import { type ConfigFlags, isLoopback, type LoadedConfig, loadConfig, resolveToken } from '../config/index.js';
import { Dashboard } from '../dashboard/index.js';
import { spaceId } from '../embedding/index.js';
import { SrdError } from '../errors.js';
import { channels, type DecisionEvent, publish, type RouteContentEvent } from '../events.js';
import { GatewayServer, methodTable, type Phase, type RouteFeedbackParams, type UsageStatusParams } from '../gateway/index.js';
import { KernelPool } from '../kernel/index.js';
import { Ledger, windowStart } from '../ledger/index.js';
import { ModelApi } from '../proxy/index.js';
import { DecisionLog, type RouteDecision, type RouteOptions, RoutingSpace, type RoutingSpaceOptions } from '../routing/index.js';
import { Metrics, Tracing, tracingEndpoint } from '../telemetry/index.js';
import { createLogger } from './logger.js';
import { lockStateDir } from './state-lock.js';
import { DecisionStats } from './stats.js';
import { VERSION } from './version.js';
import { configView, healthSummary, settingsView, statusView } from './views.js';

/** Options of `startDaemon`. */
export interface DaemonOptions {
  flags?: ConfigFlags;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Install SIGTERM/SIGINT/SIGHUP handlers (the CLI does; in-process tests do not). */
  handleSignals?: boolean;
}

/** Bounded drain on stop (issue 5: default 5 s). */
const DRAIN_MS = 5_000;

/**
 * The running daemon (docs/operations.md, docs/architecture.md): the composition root and the
 * lifecycle. It binds the port first (clients get `1013 gateway starting` meanwhile), then opens
 * the kernel pool and the routing space, then turns ready. A route goes gateway method →
 * `Daemon.route` → `RoutingSpace.route` → `Router` → kernel.
 */
export class Daemon {
  phase: Phase = 'starting';
  readonly logger: Logger;
  private loaded: LoadedConfig;
  private readonly gateway: GatewayServer;
  /** The OpenAI/Anthropic-compatible model API on the gateway port (DESIGN.md §10). */
  private readonly modelApi: ModelApi;
  /** Prometheus metrics, served at /metrics (issue 17); created once ready (prom-client loads then). */
  private metrics: Metrics | null = null;
  /** OpenTelemetry traces (issue 17): only with an OTLP endpoint (the SDK is not loaded otherwise). */
  private tracing: Tracing | null = null;
  private readonly stats = new DecisionStats();
  private readonly startedAt = Date.now();
  private pool: KernelPool | null = null;
  /** Embedder, DNA, user memory and router of the configured embedding space; replaced by reload. */
  private space: RoutingSpace | null = null;
  /** Set when the kernel workers failed to start (health then fails). */
  private workerError: Error | null = null;
  private readonly decisions = new DecisionLog();
  private address: { port: number; host: string } | null = null;
  readonly tokenFile: string | undefined;
  private releaseLock: () => void = () => undefined;
  /** A team gateway's shared PostgreSQL and Redis (issue 20), or null on one machine. */
  private cluster: Cluster | null = null;
  private readonly options: DaemonOptions;
  /** The usage ledger and virtual keys (issue 14), or null with `ledger.enabled: false`. */
  private readonly ledger: Ledger | null;
  private pruneTimer: NodeJS.Timeout | null = null;
  /** The local web page at `/` (issue 21). */
  private readonly dashboard: Dashboard;

  private constructor(
    loaded: LoadedConfig,
    logger: Logger,
    token: { token: string; file?: string | undefined },
    options: DaemonOptions,
    ledger: Ledger | null,
  ) {
    this.loaded = loaded;
    this.logger = logger;
    this.options = options;
    this.tokenFile = token.file;
    this.ledger = ledger;
    const { config } = loaded;
    this.modelApi = new ModelApi(config, {
      route: (text, opts) => this.route(text, opts),
      token: token.token,
      loopback: isLoopback(config.gateway.bind),
      logger,
      env: options.env ?? process.env,
      stateDir: loaded.paths.stateDir,
      ledger,
    });
    this.dashboard = new Dashboard({
      allowedOrigins: () => this.loaded.config.gateway.allowedOrigins,
      onError: (err, path) => logger.error({ err, path }, 'dashboard request failed'),
      sources: {
        status: () => ({ version: VERSION, phase: this.phase, url: this.address ? this.url : null, startedAt: new Date(this.startedAt).toISOString() }),
        spend: (range) => this.spendView(range),
        providers: () => this.modelApi.cooldownStatus(),
        learning: () => this.learningView(),
        forget: (id) => this.forgetCorrection(id),
        settings: () => settingsView(this.loaded),
      },
    });
    this.gateway = new GatewayServer({
      pages: this.dashboard,
      modelApi: this.modelApi,
      ...(config.telemetry.metrics
        ? {
            metrics: {
              scrape: () => (this.metrics ? this.metrics.scrape() : Promise.reject(new SrdError('SRD_ERR_NOT_READY', 'smart-routerd is starting'))),
            },
          }
        : {}),
      loopback: isLoopback(config.gateway.bind),
      version: VERSION,
      token: token.token,
      tokenHint: token.file ? 'the gateway.token file in its state dir' : 'gateway.auth.token / SMART_ROUTERD_TOKEN',
      tickIntervalMs: config.gateway.tickIntervalMs,
      handshakeTimeoutMs: config.gateway.handshakeTimeoutMs,
      allowedOrigins: config.gateway.allowedOrigins,
      phase: () => this.phase,
      health: () => this.healthSummary(),
      logger,
      methods: methodTable({
        openclaw: {
          health: () => this.healthMethod(),
          status: () => this.status(),
          config: () => configView(this.loaded),
        },
        route: { route: (text, opts) => this.route(text, opts), stats: () => this.routerStats() },
        learning: {
          feedback: (params) => this.feedback(params),
          stats: () => this.requireSpace().requireMemory().stats(),
          exportRecords: () => this.requireSpace().requireMemory().exportRecords(),
          clear: async () => {
            await this.requireSpace().requireMemory().clear();
            this.logger.warn('user memory cleared');
            return { cleared: true };
          },
          reload: async () => ({ reloaded: await this.reload() }),
        },
        usage: { status: (params) => this.usageStatus(params) },
        dashboard: { open: () => this.dashboardOpen() },
      }),
    });
  }

  /**
   * Loads config, binds the gateway and brings the router up. Throws SrdError for an invalid
   * config (SRD_ERR_CONFIG_*), a refused bind (SRD_ERR_BIND_REFUSED), a kernel that cannot load,
   * or a port that cannot be bound (EADDRINUSE passes through).
   */
  static async start(options: DaemonOptions = {}): Promise<Daemon> {
    const env = options.env ?? process.env;
    const loaded = loadConfig(options.flags ?? {}, env);
    const logger = options.logger ?? createLogger(loaded.config.logging.level, env);
    const { config, paths } = loaded;
    const token = resolveToken({ configured: config.gateway.auth.token, bind: config.gateway.bind, stateDir: paths.stateDir });
    if (token.source === 'generated') logger.info({ tokenFile: token.file }, 'generated a gateway token (mode 0600)');
    const release = lockStateDir(paths.stateDir);
    let ledger: Ledger | null;
    let cluster: Cluster | null = null;
    try {
      if (Cluster.wanted(config)) cluster = await Cluster.open({ config, stateDir: paths.stateDir, port: config.gateway.port, version: VERSION, logger });
      ledger = await openLedger(config, paths.stateDir, logger, cluster);
    } catch (err) {
      await cluster?.close();
      release();
      throw err;
    }
    const daemon = new Daemon(loaded, logger, token, options, ledger);
    daemon.releaseLock = release;
    daemon.cluster = cluster;
    await cluster?.shareUpstream(daemon.modelApi.cooldownStore, (sticky) => daemon.modelApi.share(sticky));
    try {
      daemon.address = await daemon.gateway.listen(config.gateway.port, config.gateway.bind);
    } catch (err) {
      release();
      throw err;
    }
    if (options.handleSignals) daemon.installSignalHandlers();
    try {
      daemon.pool = new KernelPool({ minThreads: config.pool.minThreads, maxThreads: config.pool.maxThreads, idleTimeout: config.pool.idleTimeout });
      daemon.space = await RoutingSpace.open({ config, stateDir: paths.stateDir, pool: daemon.pool, logger, openSharedMemory: daemon.sharedMemory() });
      // Before ready (the SDK takes ~100 ms to load), so the first routes are traced too.
      const endpoint = tracingEndpoint(config, env);
      if (endpoint) {
        daemon.tracing = new Tracing({
          endpoint,
          version: VERSION,
          captureContent: config.telemetry.captureContent,
          onError: (err) => logger.warn({ err }, 'tracing: span dropped'),
        });
        logger.info({ url: daemon.tracing.url, captureContent: config.telemetry.captureContent }, 'tracing: exporting spans over OTLP/HTTP');
      }
    } catch (err) {
      await daemon.stop('startup failed');
      throw err;
    }
    daemon.phase = 'ready';
    // Before the ready line, not after it: creating the worker threads takes ~15–20 ms of this
    // thread, and a client connecting right after "ready" (the OpenClaw plugin's first turn, 50 ms
    // budget) must not wait for that.
    daemon.startWorkers();
    logger.info(
      {
        url: daemon.url,
        readyMs: Math.round(performance.now()),
        config: paths.configExists ? paths.configPath : '(built-in defaults)',
        stateDir: paths.stateDir,
        tokenFile: token.file,
        embedding: spaceId(daemon.space!.embedder.space),
        dna: daemon.space!.intentModel?.path ?? null,
        kernel: daemon.pool!.flavour,
        threads: daemon.pool!.maxThreads,
      },
      `smart-routerd ready on ${daemon.url} in ${Math.round(performance.now())} ms`,
    );
    if (daemon.ledger) {
      const ledger = daemon.ledger;
      daemon.pruneTimer = setInterval(() => {
        ledger.prune(daemon.loaded.config.ledger.retentionDays).then(
          (pruned) => {
            if (pruned > 0) logger.info({ pruned }, 'usage ledger: deleted rows past retention');
          },
          (err: Error) => logger.warn({ err: err.message }, 'usage ledger: pruning failed; will retry in an hour'),
        );
      }, 3_600_000);
      daemon.pruneTimer.unref();
    }
    // prom-client is loaded after the ready line: readiness does not wait for it (~30 ms).
    if (config.telemetry.metrics)
      daemon.metrics = new Metrics({
        version: VERSION,
        connections: () => daemon.gateway.connections,
        patches: () => daemon.space?.userMemory?.size ?? null,
        coolingDown: () => daemon.modelApi.cooldownStatus().filter((c) => c.state === 'cooling').length,
        budgets: async () =>
          ((await daemon.ledger?.keys.list()) ?? [])
            .filter((k) => k.revokedAt === null && k.maxBudget !== null)
            .map((k) => ({ key: k.alias ?? k.hash.slice(0, 12), remainingUsd: Math.max(0, k.maxBudget! - k.spend) })),
        breaker: () => {
          const embedder = daemon.space?.embedder;
          const health = embedder?.health?.();
          return health ? { provider: embedder!.space.provider, state: health.breaker.state } : null;
        },
      });
    return daemon;
  }

  /** ws://host:port the gateway listens on. */
  get url(): string {
    const a = this.address!;
    const host = a.host.includes(':') ? `[${a.host}]` : a.host;
    return `ws://${host}:${a.port}`;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.address!.port;
  }

  /** Routes one message in the current space and records its stats. Throws SRD_ERR_NOT_READY while starting. */
  async route(text: string, options: RouteOptions = {}): Promise<RouteDecision> {
    if (!this.space || this.phase === 'starting') throw new SrdError('SRD_ERR_NOT_READY', 'smart-routerd is starting; retry shortly');
    const decision = await this.space.route(text, options);
    this.stats.record(decision);
    if (this.loaded.config.telemetry.captureContent) publish<RouteContentEvent>(channels.routeContent, { decisionId: decision.decisionId, text });
    publish<DecisionEvent>(channels.decision, {
      decisionId: decision.decisionId,
      ts: Date.now(),
      tier: decision.modelTier,
      model: decision.selectedModel,
      intent: decision.intent,
      source: decision.source,
      confidence: decision.confidence,
      latencyMs: decision.latencyMs,
      via: options.via ?? 'gateway',
    });
    this.decisions.add(decision.decisionId, text);
    return decision;
  }

  /**
   * Records an explicit correction (`route.feedback`, `smart-routerd learn`) as a user patch and
   * resolves once it is durable. A decisionId names a recent decision (its text is re-embedded);
   * otherwise `text` is used. Any prefix is stripped first. Throws SRD_ERR_GATEWAY_REQUEST for an
   * unknown decisionId, SRD_ERR_NOT_READY without user memory, SRD_ERR_EMBED_* when the text
   * cannot be embedded, SRD_ERR_MEMORY_* when it cannot be stored.
   */
  async feedback(params: RouteFeedbackParams): Promise<Record<string, unknown>> {
    let text = params.text;
    if (params.decisionId !== undefined) {
      const logged = this.decisions.text(params.decisionId);
      if (logged === undefined) {
        throw new SrdError(
          'SRD_ERR_GATEWAY_REQUEST',
          `unknown decisionId ${params.decisionId} (only the last 10000 decisions are remembered); send {text, tier} instead`,
        );
      }
      text = logged;
    }
    const space = this.requireSpace();
    const patch = await space.learn(text!, params.tier, params.label ?? null, params.origin ?? 'feedback');
    return { recorded: true, patchId: patch.id, tier: patch.tier, label: patch.label, textHash: patch.textHash, patches: space.requireMemory().size };
  }

  /**
   * `usage.status` (issue 14): the ledger's report for `since` (default: this month, UTC) grouped
   * `by`, with ISO times. Throws SRD_ERR_GATEWAY_REQUEST for a bad window, SRD_ERR_NOT_READY without a ledger.
   */
  private async usageStatus(params: UsageStatusParams): Promise<Record<string, unknown>> {
    if (!this.ledger) throw new SrdError('SRD_ERR_NOT_READY', 'the usage ledger is off (ledger.enabled: false)');
    let since: number;
    try {
      since = windowStart(params.since ?? 'month', Date.now());
    } catch (err) {
      throw new SrdError('SRD_ERR_GATEWAY_REQUEST', (err as Error).message);
    }
    const report = await this.ledger.report({ since }, params.by ?? null);
    return {
      ...report,
      since: new Date(since).toISOString(),
      until: new Date(report.until).toISOString(),
      backend: this.ledger.store.backend,
    };
  }

  /** Forgets one learned correction (dashboard, `memory.forget`); resolves whether it existed. */
  private async forgetCorrection(id: number): Promise<boolean> {
    return this.requireSpace().requireMemory().forget(id);
  }

  /** `dashboard.open`: a one-time code for the dashboard and the URL that carries it in its fragment. */
  private dashboardOpen(): Record<string, unknown> {
    const { code, expiresAt } = this.dashboard.sessions.issueCode();
    const http = this.url.replace(/^ws/, 'http');
    return { url: `${http}/#code=${code}`, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** The dashboard's Spend view (issue 21): totals by model and tier, cost over time beside the all-flagship cost, key budgets. */
  private async spendView(range: '24h' | '7d' | '30d'): Promise<Record<string, unknown> | null> {
    const ledger = this.ledger;
    if (!ledger) return null;
    const now = Date.now();
    const since = windowStart(range, now);
    const bucketMs = range === '24h' ? 3_600_000 : 86_400_000;
    return {
      range,
      since: new Date(since).toISOString(),
      bucketMs,
      byModel: await ledger.report({ since }, 'model'),
      byTier: await ledger.report({ since }, 'tier'),
      timeline: await ledger.timeline({ since }, bucketMs, 'tier'),
      modelTimeline: await ledger.timeline({ since }, bucketMs, 'model'),
      keys: (await ledger.keys.list())
        .filter((k) => k.revokedAt === null)
        .map((k) => ({
          name: k.alias ?? k.preview,
          spend: k.spend,
          maxBudget: k.maxBudget,
          budgetDuration: k.budgetDuration,
          resetAt: k.budgetResetAt === null ? null : new Date(k.budgetResetAt).toISOString(),
          models: k.models,
          rpmLimit: k.rpmLimit,
          tpmLimit: k.tpmLimit,
        })),
    };
  }

  /** The dashboard's Learning view: memory stats, decay settings, and the corrections (hashes, never texts), newest first. */
  private learningView(): Record<string, unknown> | null {
    const memory = this.space?.userMemory;
    if (!memory) return null;
    const decay = this.loaded.config.timeDecay;
    const now = Date.now();
    const patches = [...memory.patches()]
      .reverse()
      .slice(0, 1000)
      .map((p) => ({
        id: p.id,
        tier: p.tier,
        label: p.label,
        origin: p.origin,
        createdAt: new Date(p.timestamp).toISOString(),
        ageDays: (now - p.timestamp) / 86_400_000,
        weight: p.weight,
        textHash: p.textHash,
      }));
    return { stats: memory.stats(), decay, patches };
  }

  private requireSpace(): RoutingSpace {
    if (!this.space) throw new SrdError('SRD_ERR_NOT_READY', 'smart-routerd is starting; retry shortly');
    return this.space;
  }

  private routerStats(): Record<string, unknown> {
    return { ...this.stats.snapshot(), memory: this.space?.userMemory?.stats() ?? null };
  }

  /**
   * Graceful stop: draining (refuse new work), bounded drain of in-flight requests, `shutdown`
   * event and close 1012 to every socket, workers stopped.
   */
  async stop(reason = 'gateway stopping'): Promise<void> {
    if (this.phase === 'stopped' || this.phase === 'draining') return;
    this.phase = 'draining';
    this.logger.info({ reason }, 'stopping');
    this.dashboard.close();
    await this.gateway.close({ drainMs: DRAIN_MS, reason });
    await this.modelApi.close();
    this.metrics?.close();
    await this.tracing?.close();
    await this.space?.close();
    await this.pool?.close();
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.ledger?.close();
    await this.cluster?.close();
    this.releaseLock();
    this.phase = 'stopped';
    this.logger.info('stopped');
  }

  /**
   * Re-reads config and DNA (SIGHUP, `router.reload`): builds a new routing space beside the one in
   * force (handing over the user memory when its settings did not change), then swaps them. An
   * invalid config is logged with its JSON path and the last good one stays in force; connections
   * are never dropped.
   */
  async reload(): Promise<boolean> {
    let next: LoadedConfig;
    try {
      next = loadConfig(this.options.flags ?? {}, this.options.env ?? process.env);
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'reload rejected: keeping the last good configuration');
      return false;
    }
    const prev = this.phase;
    this.phase = 'reloading';
    try {
      const previous = this.space;
      const space = await RoutingSpace.open({
        config: next.config,
        stateDir: next.paths.stateDir,
        pool: this.pool!,
        logger: this.logger,
        previous,
        openSharedMemory: this.sharedMemory(),
      });
      if (
        JSON.stringify(this.loaded.config.gateway) !== JSON.stringify(next.config.gateway) ||
        JSON.stringify(this.loaded.config.pool) !== JSON.stringify(next.config.pool)
      ) {
        this.logger.warn('gateway.* and pool.* changes take effect after a restart; the rest of the new configuration is applied now');
      }
      this.loaded = next;
      this.space = space;
      this.modelApi.configure(next.config);
      this.ledger?.configure(next.config);
      void previous?.close();
      this.logger.info({ dna: space.intentModel?.path ?? null }, 'configuration and DNA reloaded');
      return true;
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'reload failed: keeping the last good configuration');
      return false;
    } finally {
      this.phase = prev === 'reloading' ? 'ready' : prev;
    }
  }

  /**
   * Boots the kernel workers once the daemon is ready. Readiness does not wait for them: routes of
   * the built-in embedder scan inline (KernelPool INLINE_SCAN_WORK), and Piscina queues a large
   * scan until a worker is up; booting them during start-up competed for the CPU with it on 2
   * cores (issue 7). A worker that cannot start is logged and makes `health` fail.
   */
  private startWorkers(): void {
    this.pool?.warm().catch((err: Error) => {
      this.workerError = err;
      this.logger.error({ err: err.message }, 'kernel workers failed to start; large scans will fail');
    });
  }

  private installSignalHandlers(): void {
    const stop = (signal: string) => {
      void this.stop(`received ${signal}`).then(
        () => process.exit(0),
        (err) => {
          this.logger.error({ err }, 'error while stopping');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => void this.reload());
  }

  /** OpenClaw health summary shape (protocol reference §4) plus a `router` section. Never throws. */
  healthSummary(): Record<string, unknown> {
    return healthSummary({
      phase: this.phase,
      dna: this.space?.intentModel ?? null,
      workers: this.pool?.threads ?? 0,
      providers: this.modelApi.cooldownStatus(),
    });
  }

  /** `health`: the summary when routes can be answered, else UNAVAILABLE (truthful to `openclaw gateway health`). */
  private healthMethod(): Record<string, unknown> {
    if (this.phase !== 'ready' && this.phase !== 'reloading') throw new SrdError('SRD_ERR_NOT_READY', `smart-routerd is ${this.phase}`);
    if (!this.pool) throw new SrdError('SRD_ERR_NOT_READY', 'smart-routerd has no similarity kernel');
    if (this.workerError) throw new SrdError('SRD_ERR_NOT_READY', `kernel workers failed to start: ${this.workerError.message}`);
    return this.healthSummary();
  }

  /** The cluster's shared user memory for a space (RoutingSpace option), or undefined on one machine. */
  private sharedMemory(): RoutingSpaceOptions['openSharedMemory'] {
    const cluster = this.cluster;
    return cluster ? (space, config) => cluster.openMemory(space, config) : undefined;
  }

  /** `status`: smart-routerd's own state (no runtimeVersion, so doctor prints no version-skew note), with the cluster view in a team gateway. */
  async status(): Promise<Record<string, unknown>> {
    const view = statusView({
      loaded: this.loaded,
      phase: this.phase,
      url: this.url,
      uptimeMs: Date.now() - this.startedAt,
      space: this.space,
      pool: this.pool,
      connections: this.gateway.connections,
      stats: this.stats.snapshot(),
      providers: this.modelApi.cooldownStatus(),
    });
    return this.cluster ? { ...view, cluster: await this.cluster.view() } : view;
  }
}

/**
 * Opens the usage ledger of a config (issue 14), or null when `ledger.enabled` is false. A corrupt
 * database is moved aside (and said so); one that cannot be opened stops the start with an error
 * naming the file, since virtual keys and budgets cannot be enforced without it.
 */
async function openLedger(config: LoadedConfig['config'], stateDir: string, logger: Logger, cluster: Cluster | null): Promise<Ledger | null> {
  if (!config.ledger.enabled) return null;
  const ledger = await openLedgerStore(config, stateDir, logger, cluster);
  // A team gateway's rate limits live in Redis (without it each instance counts its own).
  const limits = cluster?.rateLimits();
  if (ledger && limits) ledger.keys.useLimits(limits);
  return ledger;
}

/** The ledger on the cluster's PostgreSQL when there is one, else on the embedded SQLite database. */
async function openLedgerStore(config: LoadedConfig['config'], stateDir: string, logger: Logger, cluster: Cluster | null): Promise<Ledger | null> {
  const shared = await cluster?.ledger();
  if (shared) return new Ledger(shared, config);
  let opened: ReturnType<typeof Ledger.open>;
  try {
    opened = Ledger.open(config, stateDir);
  } catch (err) {
    const file = config.ledger.file ?? `${stateDir}/usage.db`;
    throw new SrdError('SRD_ERR_LEDGER', `cannot open the usage ledger ${file}: ${(err as Error).message} (or set ledger.enabled: false)`);
  }
  if (!opened) return null;
  if (opened.movedAside) logger.warn({ movedTo: opened.movedAside }, 'usage ledger: the database was corrupt; moved it aside and started a new one');
  const pruned = await opened.ledger.prune(config.ledger.retentionDays);
  if (pruned > 0) logger.info({ pruned, retentionDays: config.ledger.retentionDays }, 'usage ledger: deleted rows past retention');
  return opened.ledger;
}
