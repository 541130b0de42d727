import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { createEmbedder, type Embedder, type EmbeddingSpace, sameSpace, spaceId } from '../embedding/index.js';
import { SrdError } from '../errors.js';
import { classifierCandidates, type DnaModel, findDna, type LoadedClassifier, loadClassifier, loadOrBuildDna, readDnaFile } from '../intent-model/index.js';
import type { KernelPool, MatrixRegion } from '../kernel/index.js';
import { MemoryStore, type Patch, PatchIndex, type PatchOrigin, PatchSearch, type UserMemory } from '../memory/index.js';
import type { RouteDecision } from './decision.js';
import type { Intent, Tier } from './intents.js';
import { matchPrefix } from './prefix.js';
import { RemoteSpace } from './remote-space.js';
import { dnaScanner, type RouteOptions, Router } from './router.js';

/** Options of `RoutingSpace.open`. */
export interface RoutingSpaceOptions {
  config: Config;
  stateDir: string;
  /** The process's kernel pool (owned by the daemon: one shared memory for every space). */
  pool: KernelPool;
  logger: Logger;
  /**
   * The space this one replaces (reload). Its user memory is handed over when the memory settings
   * did not change, so a reload never reopens or replays the journal for nothing.
   */
  previous?: RoutingSpace | null;
  /**
   * A team's shared user memory for a space (issue 20: the daemon passes Cluster.openMemory when
   * `cluster.postgres.url` is set); null or absent: the journal in the state dir.
   */
  openSharedMemory?: ((space: EmbeddingSpace, config: Config) => Promise<UserMemory | null>) | undefined;
  /** Intent classifier files to try in order; default classifierCandidates(stateDir) (state dir, then package). */
  classifierFiles?: readonly string[];
}

/**
 * Everything that routes in one embedding space (DESIGN.md §2): the embedder, the intent model (DNA)
 * in kernel memory, the user's patches (memory store, index, search), a remote space's local
 * fallback and background DNA build, and the Router over them. Built once by start and once per
 * reload, so a route reads gateway method → space → router → kernel.
 */
export class RoutingSpace {
  readonly config: Config;
  readonly embedder: Embedder;
  private dna: DnaModel | null;
  /** The intent classifier, loaded once per space and kept hot (local space with config intentClassifier); null: the DNA decides. */
  private readonly classifier: LoadedClassifier | null;
  /** The DNA's rows in kernel memory, column-major (KernelPool.loadColumns). */
  private dnaRegion: MatrixRegion | null;
  private router: Router;
  /** Null when the store could not be opened: the space routes but cannot learn. */
  private memory: UserMemory | null;
  private readonly patches: PatchSearch | null;
  /** Local fallback and background DNA build of a remote embedder (null for `local`). */
  private remote: RemoteSpace | null = null;
  private readonly pool: KernelPool;
  private readonly logger: Logger;
  private closed = false;

  private constructor(
    options: RoutingSpaceOptions,
    embedder: Embedder,
    dna: DnaModel | null,
    classifier: LoadedClassifier | null,
    memory: UserMemory | null,
    patches: PatchSearch | null,
  ) {
    this.config = options.config;
    this.embedder = embedder;
    this.classifier = classifier;
    this.pool = options.pool;
    this.logger = options.logger;
    this.dna = dna;
    this.dnaRegion = dna ? this.pool.loadColumns(dna.data, dna.rows, dna.dims) : null;
    this.memory = memory;
    this.patches = patches;
    this.router = this.createRouter();
  }

  /**
   * Builds the space of `config.memorySearch`: creates the embedder, finds (local: or builds) its
   * DNA and loads it column-major into kernel memory, opens the user memory (or adopts the previous
   * space's), and, for a remote embedder, the local fallback and background DNA build. Never waits
   * on the network. Throws SrdError for an embedder that cannot be created or a kernel that
   * cannot load; a user memory that cannot be opened is logged and leaves the space without learning.
   */
  static async open(options: RoutingSpaceOptions): Promise<RoutingSpace> {
    const { config, stateDir, pool, logger, previous } = options;
    const embedder = createEmbedder(config, { logger });
    // A remote space's missing DNA is built in the background (RemoteSpace); start-up never waits on the network.
    const dna = embedder.embedSync ? await loadOrBuildDna(stateDir, embedder, logger) : await findDna(stateDir, embedder, logger);
    // The classifier is the model of the built-in local space only; remote spaces keep the DNA (issue 16).
    const classifier =
      config.intentClassifier && embedder.space.provider === 'local'
        ? await loadClassifier(options.classifierFiles ?? classifierCandidates(stateDir), logger)
        : null;
    let memory: UserMemory | null = null;
    let patches: PatchSearch | null = null;
    if (previous?.memory && sameSpace(previous.embedder.space, embedder.space) && sameMemorySettings(previous.config, config)) {
      memory = previous.memory;
      patches = previous.patches;
      previous.memory = null; // handed over: closing the previous space leaves it open
    } else {
      // One store per journal at a time: the previous space's store closes before this one opens.
      await previous?.closeMemory();
      memory = await openMemory(options, embedder.space);
      patches = memory ? new PatchSearch(memory, new PatchIndex(pool, embedder.space.dims), pool) : null;
    }
    const space = new RoutingSpace(options, embedder, dna, classifier, memory, patches);
    // One background DNA build per space at a time: the previous space's stops first.
    await previous?.remote?.close();
    if (!embedder.embedSync) {
      space.remote = await RemoteSpace.open({
        config,
        stateDir,
        embedder,
        dna,
        pool,
        logger,
        onDnaBuilt: (out) => space.adoptDna(out),
      });
      space.router = space.createRouter();
    }
    return space;
  }

  /** Routes one message through this space's pipeline (Router.route). Never rejects for embedding or scan failures. */
  route(text: string, options: RouteOptions = {}): Promise<RouteDecision> {
    return this.router.route(text, options);
  }

  /** The model ref a tier selects under this space's config. */
  modelFor(tier: Tier): string {
    return this.router.modelFor(tier);
  }

  /** The DNA threshold in force (config, else the DNA file's calibrated one). */
  get dnaThreshold(): number {
    return this.router.dnaThreshold;
  }

  /** The user memory, or null when it could not be opened. */
  get userMemory(): UserMemory | null {
    return this.memory;
  }

  /** The DNA in force, or null while none is loaded. */
  get intentModel(): DnaModel | null {
    return this.dna;
  }

  /**
   * Stores a correction as a user patch and resolves once it is durable (DESIGN.md §4: learning comes
   * from prefixes and explicit feedback only). A prefix in `rawText` is stripped first; `vector`
   * skips re-embedding when the router already has it. Throws SRD_ERR_NOT_READY without user memory,
   * SRD_ERR_EMBED_* when the text cannot be embedded, SRD_ERR_MEMORY_* when it cannot be stored.
   */
  async learn(rawText: string, tier: Tier, label: Intent | null, origin: PatchOrigin, vector?: Float32Array | null): Promise<Patch> {
    const memory = this.requireMemory();
    const text = matchPrefix(rawText, this.config.prefix)?.text ?? rawText;
    const v = vector ?? (await this.embedder.embed(text));
    const patch = await memory.append({ vector: v, tier, label, text, origin });
    this.logger.debug({ patchId: patch.id, tier, origin, patches: memory.size }, 'learned a correction');
    return patch;
  }

  /** The user memory; throws SRD_ERR_NOT_READY when it could not be opened. */
  requireMemory(): UserMemory {
    if (!this.memory) throw new SrdError('SRD_ERR_NOT_READY', 'user memory is not available (see the daemon log)');
    return this.memory;
  }

  /** `status` sections of this space: embedder, fallback and build, DNA, intent classifier. */
  status(): Record<string, unknown> {
    const c = this.classifier?.file;
    return {
      embedding: { ...this.embedder.space, health: this.embedder.health?.() ?? null },
      ...(this.remote?.status() ?? { fallback: null, dnaBuild: null }),
      dna: this.dna ? { path: this.dna.path, rows: this.dna.rows, temperature: this.dna.temperature } : null,
      classifier: c ? { path: c.path, buckets: c.header.buckets, dim: c.header.dim, hidden: c.header.hidden, calibration: c.header.calibration } : null,
    };
  }

  /**
   * Stops the background build and closes the embedder and, unless it was handed to the next space,
   * the user memory. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.closeMemory();
    await this.remote?.close();
    await this.embedder.close?.().catch(() => undefined);
  }

  private async closeMemory(): Promise<void> {
    const memory = this.memory;
    this.memory = null;
    await memory?.close().catch((err: Error) => this.logger.error({ err: err.message }, 'closing user memory failed'));
  }

  /** Loads the DNA a background build wrote and routes with it from now on. */
  private async adoptDna(out: string): Promise<void> {
    if (this.closed) return;
    const dna = await readDnaFile(out, this.embedder.space);
    this.dna = dna;
    this.dnaRegion = this.pool.loadColumns(dna.data, dna.rows, dna.dims);
    this.router = this.createRouter();
    this.logger.info({ dna: out, space: spaceId(this.embedder.space) }, 'DNA of the remote embedding space loaded; routing in that space now');
  }

  private createRouter(): Router {
    const region = this.dnaRegion;
    const patches = this.patches;
    return new Router({
      config: this.config,
      embedder: this.embedder,
      dna: this.dna,
      classifier: this.classifier?.classifier ?? null,
      scanDna: region ? dnaScanner(this.pool, region) : () => Promise.reject(new Error('no DNA region')),
      fallback: this.remote?.fallbackRouter ?? undefined,
      dnaPending: () => this.remote?.pendingReason() ?? null,
      onLearn: async (event) => {
        await this.learn(event.text, event.tier, null, 'prefix', event.vector);
      },
      ...(patches ? { searchPatches: (q: Float32Array, threshold: number) => patches.best(q, threshold) } : {}),
    });
  }
}

/** Opens the user memory of `space`; null (logged) when it cannot be opened. */
async function openMemory(options: RoutingSpaceOptions, space: EmbeddingSpace): Promise<UserMemory | null> {
  const { config, logger } = options;
  try {
    const shared = await options.openSharedMemory?.(space, config);
    if (shared) return shared;
    return await MemoryStore.open({
      dir: options.stateDir,
      space,
      timeDecay: config.timeDecay,
      compactionThreshold: config.vectorStore.compactionThreshold,
      enableCompaction: config.vectorStore.enableCompaction,
      mergeThreshold: config.vectorStore.mergeThreshold,
      logger,
    });
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'user memory unavailable: routing continues without learning');
    return null;
  }
}

/** True when a user-memory store opened under `a` serves `b` unchanged (a reload reopens it otherwise). */
function sameMemorySettings(a: Config, b: Config): boolean {
  const settings = (c: Config) => JSON.stringify([c.memorySearch.provider, c.memorySearch.model, c.vectorStore, c.timeDecay, c.patchSimilarityThreshold]);
  return settings(a) === settings(b);
}
