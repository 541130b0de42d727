import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { type Embedder, LocalEmbedder, spaceId } from '../embedding/index.js';
import { DnaBuildJob, type DnaBuildStatus, type DnaModel, dnaCandidates, loadOrBuildDna } from '../intent-model/index.js';
import type { KernelPool } from '../kernel/index.js';
import { dnaScanner, Router } from './router.js';

/** Options of RemoteSpace.open. */
export interface RemoteSpaceOptions {
  config: Config;
  stateDir: string;
  /** The configured remote embedder. */
  embedder: Embedder;
  /** Its DNA when one was found; null starts a background build. */
  dna: DnaModel | null;
  pool: KernelPool;
  logger: Logger;
  /** Called with the freshly written DNA file of the remote space. */
  onDnaBuilt: (out: string) => Promise<void>;
}

/**
 * What a remote embedding provider adds to the daemon: the local fallback router
 * (memorySearch.fallback "local": the built-in embedder and its DNA, which need no network) and,
 * while the remote space has no DNA, the background build. Rule: issue 6.
 */
export class RemoteSpace {
  /** Decides when the remote embedder cannot (null with fallback "keywords" or no local DNA). */
  readonly fallbackRouter: Router | null;
  /** The background DNA build, while one was needed. */
  readonly job: DnaBuildJob | null;
  private readonly fallbackDna: DnaModel | null;
  private readonly mode: 'local' | 'keywords';

  private constructor(mode: 'local' | 'keywords', fallbackRouter: Router | null, fallbackDna: DnaModel | null, job: DnaBuildJob | null) {
    this.mode = mode;
    this.fallbackRouter = fallbackRouter;
    this.fallbackDna = fallbackDna;
    this.job = job;
  }

  /**
   * Loads the local fallback (building its DNA from the seed if needed: seconds, offline) and
   * starts the remote DNA build when `dna` is null. Never throws: without local DNA the fallback
   * is keywords.
   */
  static async open(options: RemoteSpaceOptions): Promise<RemoteSpace> {
    const { config, pool, logger } = options;
    const mode = config.memorySearch.fallback;
    let router: Router | null = null;
    let localDna: DnaModel | null = null;
    if (mode === 'local') {
      const local = new LocalEmbedder();
      localDna = await loadOrBuildDna(options.stateDir, local, logger);
      if (localDna) {
        const region = pool.loadColumns(localDna.data, localDna.rows, localDna.dims);
        // The configured dnaSimilarityThreshold is tuned for the remote space; the local space
        // uses the threshold calibrated into its own DNA file.
        router = new Router({
          config: { ...config, dnaSimilarityThreshold: undefined },
          embedder: local,
          dna: localDna,
          scanDna: dnaScanner(pool, region),
        });
      }
    }
    let job: DnaBuildJob | null = null;
    if (!options.dna) {
      job = new DnaBuildJob({
        config,
        space: options.embedder.space,
        out: dnaCandidates(options.stateDir, options.embedder.space)[0]!,
        logger,
        onBuilt: options.onDnaBuilt,
      });
      job.start();
    }
    return new RemoteSpace(mode, router, localDna, job);
  }

  /** Why the remote space has no DNA yet, for `reasoning`; null once it has one. */
  pendingReason(): string | null {
    return this.job && this.job.status().state !== 'done' ? this.job.describe() : null;
  }

  /** `status` section: the fallback in force and the build, if any. */
  status(): {
    fallback: { mode: 'local' | 'keywords'; configured: 'local' | 'keywords'; space: string | null; dna: string | null };
    dnaBuild: DnaBuildStatus | null;
  } {
    return {
      fallback: {
        // `local` degrades to keywords when no local DNA could be loaded or built.
        mode: this.fallbackRouter ? 'local' : 'keywords',
        configured: this.mode,
        space: this.fallbackDna ? spaceId(this.fallbackDna.space) : null,
        dna: this.fallbackDna?.path ?? null,
      },
      dnaBuild: this.job?.status() ?? null,
    };
  }

  /** Stops the background build (its cache stays for the next start). */
  async close(): Promise<void> {
    await this.job?.stop();
  }
}
