import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { type EmbeddingSpace, spaceId } from '../embedding/index.js';
import { packageRoot } from './dna.js';

/** What the build worker gets (structured-cloned; the config holds the API key, never logged). */
export interface DnaBuildWorkerData {
  config: Config;
  out: string;
  seedDir: string;
}

/** Messages from the build worker. */
export type DnaBuildWorkerMessage =
  | { type: 'progress'; done: number; total: number; cached: number }
  | { type: 'done'; ms: number; rows: number; samples: number; threshold: number; heldOut: Record<string, number> }
  | { type: 'error'; code: string; message: string };

/** What `status` shows about a background DNA build. Times are ms since the epoch. */
export interface DnaBuildStatus {
  space: string;
  out: string;
  /** building: a worker runs; waiting: the last attempt failed, the next starts at nextAttemptAt; done; stopped. */
  state: 'building' | 'waiting' | 'done' | 'stopped';
  /** Seed texts embedded (cached ones included) out of all. */
  embedded: number;
  total: number;
  /** Texts reused from an interrupted earlier attempt. */
  cached: number;
  attempts: number;
  startedAt: number;
  lastError: { code: string; message: string; at: number } | null;
  nextAttemptAt: number | null;
}

/** Options of DnaBuildJob. */
export interface DnaBuildJobOptions {
  config: Config;
  space: EmbeddingSpace;
  /** DNA file to write (`<stateDir>/dna/<provider>-<model>-<dims>.vctr`). */
  out: string;
  logger: Logger;
  /** Called once the file is written; the daemon loads it and swaps the router. */
  onBuilt: (out: string) => Promise<void>;
  /** Default: the package's dna/seed. */
  seedDir?: string;
}

/** Longest wait between two failed build attempts (10 min). */
const MAX_RETRY_MS = 600_000;

/**
 * Builds the DNA of a remote embedding space in a worker thread while the daemon serves (routing
 * meanwhile uses the local fallback or keywords, and says so). A failed attempt is retried after
 * memorySearch.remote.breaker.cooldownMs, doubling up to 10 min; each attempt resumes from the
 * embeddings cached by the previous one. Rule: issue 6 "the daemon builds it on first start if
 * missing (serving with keywords meanwhile)".
 */
export class DnaBuildJob {
  private readonly options: DnaBuildJobOptions;
  private readonly state: DnaBuildStatus;
  private worker: Worker | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(options: DnaBuildJobOptions) {
    this.options = options;
    this.state = {
      space: spaceId(options.space),
      out: options.out,
      state: 'waiting',
      embedded: 0,
      total: 0,
      cached: 0,
      attempts: 0,
      startedAt: Date.now(),
      lastError: null,
      nextAttemptAt: null,
    };
  }

  /** Starts the first attempt now. */
  start(): void {
    this.attempt();
  }

  /** A copy of the build's state for `status`. */
  status(): DnaBuildStatus {
    return { ...this.state, lastError: this.state.lastError && { ...this.state.lastError } };
  }

  /** One clause for a decision's `reasoning` while the DNA is missing. */
  describe(): string {
    const s = this.state;
    const pct = s.total > 0 ? ` (${Math.floor((100 * s.embedded) / s.total)}% of the seed embedded)` : '';
    if (s.state === 'waiting' && s.lastError) {
      const wait = Math.max(0, Math.ceil(((s.nextAttemptAt ?? Date.now()) - Date.now()) / 1000));
      return `DNA for ${s.space} is not built yet: the last attempt failed (${s.lastError.code}), next attempt in ${wait} s${pct}`;
    }
    if (s.state === 'stopped') return `DNA for ${s.space} is not built (build stopped)`;
    return `DNA for ${s.space} is being built${pct}`;
  }

  /** Stops the worker and any pending retry; the resumable cache stays for the next start. */
  async stop(): Promise<void> {
    if (this.state.state !== 'done') this.state.state = 'stopped';
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private attempt(): void {
    if (this.state.state === 'stopped' || this.state.state === 'done') return;
    this.state.attempts++;
    this.state.state = 'building';
    this.state.nextAttemptAt = null;
    const { logger, config, out } = this.options;
    logger.info(
      { space: this.state.space, out, attempt: this.state.attempts },
      'building DNA for the remote embedding space in the background; routing uses the fallback meanwhile',
    );
    const workerData: DnaBuildWorkerData = { config, out, seedDir: this.options.seedDir ?? path.join(packageRoot(), 'dna', 'seed') };
    const worker = new Worker(new URL('../intent-model/dna-build-worker.js', import.meta.url), { workerData }); // '../intent-model/': right from dist/intent-model/ and from the bundled dist/cli/main.js
    this.worker = worker;
    let settled = false;
    worker.on('message', (msg: DnaBuildWorkerMessage) => {
      if (msg.type === 'progress') {
        Object.assign(this.state, { embedded: msg.done, total: msg.total, cached: msg.cached });
      } else if (msg.type === 'done') {
        settled = true;
        this.state.state = 'done';
        this.state.embedded = this.state.total;
        logger.info(
          { space: this.state.space, out, ms: msg.ms, rows: msg.rows, samples: msg.samples, threshold: msg.threshold, heldOut: msg.heldOut },
          'DNA built',
        );
        this.options.onBuilt(out).catch((err: Error) => logger.error({ err: err.message, out }, 'built DNA could not be loaded'));
      } else {
        settled = true;
        this.failed(msg.code, msg.message);
      }
    });
    worker.on('error', (err) => {
      if (!settled) {
        settled = true;
        this.failed('ERR_WORKER', err.message);
      }
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      if (!settled && this.state.state === 'building') {
        settled = true;
        this.failed('ERR_WORKER', `build worker exited with code ${code}`);
      }
    });
  }

  private failed(code: string, message: string): void {
    if (this.state.state === 'stopped') return;
    const base = this.options.config.memorySearch.remote.breaker.cooldownMs;
    const delay = Math.min(MAX_RETRY_MS, base * 2 ** Math.max(0, this.state.attempts - 1));
    this.state.state = 'waiting';
    this.state.lastError = { code, message, at: Date.now() };
    this.state.nextAttemptAt = Date.now() + delay;
    this.options.logger.warn(
      { space: this.state.space, code, err: message, retryInMs: delay, embedded: this.state.embedded, total: this.state.total },
      'DNA build failed; it resumes from the cached embeddings on the next attempt',
    );
    this.timer = setTimeout(() => {
      this.timer = null;
      this.attempt();
    }, delay);
    this.timer.unref();
  }
}
