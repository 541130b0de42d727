import type { Logger } from 'pino';
import { isLoopback, loadConfig, resolveToken, type Config, type ConfigFlags, type LoadedConfig } from '../config/index.js';
import { createEmbedder, sameSpace, spaceId, type Embedder, type EmbeddingSpace } from '../embedding/index.js';
import { SrdError } from '../errors.js';
import { GatewayServer, learningMethods, openclawMethods, routeMethods, type Phase, type RouteFeedbackParams } from '../gateway/index.js';
import { MemoryStore } from '../memory/index.js';
import { DecisionLog, PatchSearch, Router, matchPrefix, readDnaFile, type DnaModel, type RouteDecision, type RouteOptions, type Tier, type Intent } from '../routing/index.js';
import { KernelPool, PatchIndex, type MatrixRegion } from '../vector/index.js';
import { findDna, loadOrBuildDna } from './dna-loader.js';
import { createLogger } from './logger.js';
import { RemoteSpace } from './remote-space.js';
import { lockStateDir } from './state-lock.js';
import { DecisionStats } from './stats.js';
import { VERSION } from './version.js';

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
 * The running daemon (docs/operations.md): binds the port first (clients get `1013 gateway
 * starting` meanwhile), then loads embedder, kernel pool and DNA, then turns ready.
 */
export class Daemon {
  phase: Phase = 'starting';
  readonly logger: Logger;
  private loaded: LoadedConfig;
  private readonly gateway: GatewayServer;
  private readonly stats = new DecisionStats();
  private readonly startedAt = Date.now();
  private pool: KernelPool | null = null;
  private embedder: Embedder | null = null;
  private router: Router | null = null;
  private dna: DnaModel | null = null;
  private dnaRegion: MatrixRegion | null = null;
  /** Set when the kernel workers failed to start (health then fails). */
  private workerError: Error | null = null;
  private memory: MemoryStore | null = null;
  /** Local fallback and background DNA build of a remote embedding provider (null for `local`). */
  private remote: RemoteSpace | null = null;
  private patchSearch: PatchSearch | null = null;
  private readonly decisions = new DecisionLog();
  private address: { port: number; host: string } | null = null;
  readonly tokenFile: string | undefined;
  private releaseLock: () => void = () => undefined;
  private readonly options: DaemonOptions;

  private constructor(loaded: LoadedConfig, logger: Logger, token: { token: string; file?: string | undefined }, options: DaemonOptions) {
    this.loaded = loaded;
    this.logger = logger;
    this.options = options;
    this.tokenFile = token.file;
    const { config } = loaded;
    this.gateway = new GatewayServer({
      version: VERSION,
      token: token.token,
      tokenHint: token.file ?? 'gateway.auth.token / SMART_ROUTERD_TOKEN',
      tickIntervalMs: config.gateway.tickIntervalMs,
      handshakeTimeoutMs: config.gateway.handshakeTimeoutMs,
      phase: () => this.phase,
      health: () => this.healthSummary(),
      logger,
      methods: {
        ...openclawMethods({
          health: () => this.healthMethod(),
          status: () => this.status(),
          config: () => this.configView(),
        }),
        ...routeMethods({ route: (text, opts) => this.route(text, opts), stats: () => this.routerStats() }),
        ...learningMethods({
          feedback: (params) => this.feedback(params),
          stats: () => this.requireMemory().stats(),
          exportRecords: () => this.requireMemory().exportRecords(),
          clear: async () => {
            await this.requireMemory().clear();
            this.logger.warn('user memory cleared');
            return { cleared: true };
          },
          reload: async () => ({ reloaded: await this.reload() }),
        }),
      },
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
    const daemon = new Daemon(loaded, logger, token, options);
    daemon.releaseLock = release;
    try {
      daemon.address = await daemon.gateway.listen(config.gateway.port, config.gateway.bind);
    } catch (err) {
      release();
      throw err;
    }
    if (options.handleSignals) daemon.installSignalHandlers();
    try {
      await daemon.bringUp(config);
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
        embedding: spaceId(daemon.embedder!.space),
        dna: daemon.dna?.path ?? null,
        kernel: daemon.pool!.flavour,
        threads: daemon.pool!.maxThreads,
      },
      `smart-routerd ready on ${daemon.url} in ${Math.round(performance.now())} ms`,
    );
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

  /** Routes one message and records its stats. */
  async route(text: string, options: RouteOptions = {}): Promise<RouteDecision> {
    if (!this.router || this.phase === 'starting') throw new SrdError('SRD_ERR_NOT_READY', 'smart-routerd is starting; retry shortly');
    const decision = await this.router.route(text, options);
    this.stats.record(decision);
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
        throw new SrdError('SRD_ERR_GATEWAY_REQUEST', `unknown decisionId ${params.decisionId} (only the last 10000 decisions are remembered); send {text, tier} instead`);
      }
      text = logged;
    }
    const patch = await this.learn(text!, params.tier, params.label ?? null, params.origin ?? 'feedback');
    return { recorded: true, patchId: patch.id, tier: patch.tier, label: patch.label, textHash: patch.textHash, patches: this.memory!.size };
  }

  private async learn(rawText: string, tier: Tier, label: Intent | null, origin: 'prefix' | 'feedback' | 'cli', vector?: Float32Array | null) {
    const memory = this.requireMemory();
    const text = matchPrefix(rawText, this.loaded.config.prefix)?.text ?? rawText;
    const v = vector ?? (await this.embedder!.embed(text));
    const patch = await memory.append({ vector: v, tier, label, text, origin });
    this.logger.debug({ patchId: patch.id, tier, origin, patches: memory.size }, 'learned a correction');
    return patch;
  }

  private requireMemory(): MemoryStore {
    if (!this.memory) throw new SrdError('SRD_ERR_NOT_READY', 'user memory is not available (see the daemon log)');
    return this.memory;
  }

  private routerStats(): Record<string, unknown> {
    return { ...this.stats.snapshot(), memory: this.memory?.stats() ?? null };
  }

  /**
   * Graceful stop: draining (refuse new work), bounded drain of in-flight requests, `shutdown`
   * event and close 1012 to every socket, workers stopped.
   */
  async stop(reason = 'gateway stopping'): Promise<void> {
    if (this.phase === 'stopped' || this.phase === 'draining') return;
    this.phase = 'draining';
    this.logger.info({ reason }, 'stopping');
    await this.gateway.close({ drainMs: DRAIN_MS, reason });
    await this.memory?.close().catch((err: Error) => this.logger.error({ err: err.message }, 'closing user memory failed'));
    await this.remote?.close();
    await this.embedder?.close?.().catch(() => undefined);
    await this.pool?.close();
    this.releaseLock();
    this.phase = 'stopped';
    this.logger.info('stopped');
  }

  /**
   * Re-reads config and DNA (SIGHUP). An invalid config is logged with its JSON path and the
   * last good one stays in force; connections are never dropped.
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
      const embedder = createEmbedder(next.config, { logger: this.logger });
      // A remote space's DNA is built in the background (RemoteSpace); never wait on the network here.
      const dna = embedder.embedSync ? await loadOrBuildDna(next.paths.stateDir, embedder, this.logger) : await findDna(next.paths.stateDir, embedder, this.logger);
      const region = dna ? this.pool!.loadColumns(dna.data, dna.rows, dna.dims) : null;
      const memoryChanged = JSON.stringify(memorySettings(this.loaded.config)) !== JSON.stringify(memorySettings(next.config));
      if (JSON.stringify(this.loaded.config.gateway) !== JSON.stringify(next.config.gateway) || JSON.stringify(this.loaded.config.pool) !== JSON.stringify(next.config.pool)) {
        this.logger.warn('gateway.* and pool.* changes take effect after a restart; the rest of the new configuration is applied now');
      }
      this.loaded = next;
      const previous = this.embedder;
      this.embedder = embedder;
      this.dna = dna;
      this.dnaRegion = region;
      if (memoryChanged) {
        await this.memory?.close();
        await this.openMemory(next.config);
      }
      await this.openRemote(next.config);
      this.router = this.createRouter(next.config);
      void previous?.close?.().catch(() => undefined);
      this.logger.info({ dna: dna?.path ?? null }, 'configuration and DNA reloaded');
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

  private async bringUp(config: Config): Promise<void> {
    this.embedder = createEmbedder(config, { logger: this.logger });
    this.pool = new KernelPool({ minThreads: config.pool.minThreads, maxThreads: config.pool.maxThreads, idleTimeout: config.pool.idleTimeout });
    // A remote space's missing DNA is built in the background (openRemote); start-up never waits on the network.
    this.dna = this.embedder.embedSync ? await loadOrBuildDna(this.loaded.paths.stateDir, this.embedder, this.logger) : await findDna(this.loaded.paths.stateDir, this.embedder, this.logger);
    this.dnaRegion = this.dna ? this.pool.loadColumns(this.dna.data, this.dna.rows, this.dna.dims) : null;
    await this.openMemory(config);
    await this.openRemote(config);
    this.router = this.createRouter(config);
  }

  /** Opens (or replaces) the RemoteSpace of a remote embedder: local fallback, background DNA build. */
  private async openRemote(config: Config): Promise<void> {
    await this.remote?.close();
    this.remote = null;
    const embedder = this.embedder!;
    if (embedder.embedSync) return;
    const space = embedder.space;
    this.remote = await RemoteSpace.open({
      config,
      stateDir: this.loaded.paths.stateDir,
      embedder,
      dna: this.dna,
      pool: this.pool!,
      logger: this.logger,
      onDnaBuilt: (out) => this.adoptDna(out, space),
    });
  }

  /** Loads the DNA a background build wrote and routes in its space from now on (if still configured). */
  private async adoptDna(out: string, space: EmbeddingSpace): Promise<void> {
    if (!this.embedder || !sameSpace(this.embedder.space, space) || this.phase === 'draining' || this.phase === 'stopped') return;
    const dna = await readDnaFile(out, space);
    this.dna = dna;
    this.dnaRegion = this.pool!.loadColumns(dna.data, dna.rows, dna.dims);
    this.router = this.createRouter(this.loaded.config);
    this.logger.info({ dna: out, space: spaceId(space) }, 'DNA of the remote embedding space loaded; routing in that space now');
  }

  /** Opens the user memory for the current space; without it the daemon routes but cannot learn. */
  private async openMemory(config: Config): Promise<void> {
    const space = this.embedder!.space;
    try {
      this.memory = await MemoryStore.open({
        dir: this.loaded.paths.stateDir,
        space,
        timeDecay: config.timeDecay,
        compactionThreshold: config.vectorStore.compactionThreshold,
        enableCompaction: config.vectorStore.enableCompaction,
        mergeThreshold: config.patchSimilarityThreshold,
        logger: this.logger,
      });
      this.patchSearch = new PatchSearch(this.memory, new PatchIndex(this.pool!, space.dims), this.pool!);
    } catch (err) {
      this.memory = null;
      this.patchSearch = null;
      this.logger.error({ err: (err as Error).message }, 'user memory unavailable: routing continues without learning');
    }
  }

  private createRouter(config: Config): Router {
    const pool = this.pool!;
    const region = this.dnaRegion;
    return new Router({
      config,
      embedder: this.embedder!,
      dna: this.dna,
      scanDna: async (query) => {
        if (!region) throw new Error('no DNA region');
        return (await pool.scan(query, region, 0, true)).all!;
      },
      fallback: this.remote?.fallbackRouter ?? undefined,
      dnaPending: () => this.remote?.pendingReason() ?? null,
      onLearn: async (event) => {
        await this.learn(event.text, event.tier, null, 'prefix', event.vector);
      },
      ...(this.patchSearch ? { searchPatches: (q: Float32Array, threshold: number) => this.patchSearch!.best(q, threshold) } : {}),
    });
  }

  private installSignalHandlers(): void {
    const stop = (signal: string) => {
      void this.stop(`received ${signal}`).then(() => process.exit(0), (err) => {
        this.logger.error({ err }, 'error while stopping');
        process.exit(1);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => void this.reload());
  }

  /** OpenClaw health summary shape (protocol reference §4) plus a `router` section. Never throws. */
  healthSummary(): Record<string, unknown> {
    const t0 = performance.now();
    return {
      ok: true,
      ts: Date.now(),
      durationMs: Math.round(performance.now() - t0),
      channels: {},
      channelOrder: [],
      channelLabels: {},
      heartbeatSeconds: 0,
      defaultAgentId: 'main',
      agents: [],
      sessions: { path: '', count: 0, recent: [] },
      router: {
        phase: this.phase,
        dna: this.dna ? { path: this.dna.path, rows: this.dna.rows } : null,
        workers: this.pool?.threads ?? 0,
      },
    };
  }

  /** `health`: the summary when routes can be answered, else UNAVAILABLE (truthful to `openclaw gateway health`). */
  private healthMethod(): Record<string, unknown> {
    if (this.phase !== 'ready' && this.phase !== 'reloading') throw new SrdError('SRD_ERR_NOT_READY', `smart-routerd is ${this.phase}`);
    if (!this.pool) throw new SrdError('SRD_ERR_NOT_READY', 'smart-routerd has no similarity kernel');
    if (this.workerError) throw new SrdError('SRD_ERR_NOT_READY', `kernel workers failed to start: ${this.workerError.message}`);
    return this.healthSummary();
  }

  /** `status`: smart-routerd's own state (no runtimeVersion, so doctor prints no version-skew note). */
  status(): Record<string, unknown> {
    const { config, paths } = this.loaded;
    return {
      router: {
        version: VERSION,
        phase: this.phase,
        url: this.url,
        uptimeMs: Date.now() - this.startedAt,
        enabled: config.enabled,
        configPath: paths.configExists ? paths.configPath : null,
        stateDir: paths.stateDir,
        embedding: this.embedder ? { ...this.embedder.space, health: this.embedder.health?.() ?? null } : null,
        ...(this.remote?.status() ?? { fallback: null, dnaBuild: null }),
        dna: this.dna ? { path: this.dna.path, rows: this.dna.rows, temperature: this.dna.temperature } : null,
        thresholds: {
          dna: this.router?.dnaThreshold ?? null,
          patch: config.patchSimilarityThreshold,
          softPartition: config.softPartitionThreshold,
        },
        models: { flagship: this.router?.modelFor('flagship') ?? null, lightweight: this.router?.modelFor('lightweight') ?? null },
        kernel: this.pool ? { flavour: this.pool.flavour, workers: this.pool.threads, sharedBytes: this.pool.memory.usedBytes } : null,
        connections: this.gateway.connections,
        stats: this.stats.snapshot(),
      },
    };
  }

  /** `config.get`: the config in force with secrets blanked. */
  private configView(): Record<string, unknown> {
    const { config, paths } = this.loaded;
    const redacted = structuredClone(config);
    if (redacted.gateway.auth.token) redacted.gateway.auth.token = '[redacted]';
    if (redacted.memorySearch.remote.apiKey) redacted.memorySearch.remote.apiKey = '[redacted]';
    return { path: paths.configPath, exists: paths.configExists, valid: true, config: redacted, loopback: isLoopback(config.gateway.bind) };
  }
}

/** Config that the user-memory store was opened with; a reload reopens it when this changes. */
function memorySettings(c: Config): unknown {
  return [c.memorySearch.provider, c.memorySearch.model, c.vectorStore, c.timeDecay, c.patchSimilarityThreshold];
}
