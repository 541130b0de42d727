import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Logger, pino } from 'pino';
import { afterEach, beforeEach } from 'vitest';
import type { EmbeddingSpace } from '../../src/embedding/types.js';
import { type MemoryOptions, MemoryStore } from '../../src/memory/index.js';

/** Shared fixtures of the memory suites: temp dirs, a captured logger, an injected clock, vectors. */

export const DAY = 86_400_000;
/** 2023-11-14T22:13:20Z: well past 2^31 ms, so an int32 timestamp would overflow. */
export const T0 = 1_700_000_000_000;

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'srd-memory-'));
}

export function space(dims = 16): EmbeddingSpace {
  return { provider: 'local', model: 'local-hash-v1', dims };
}

/** A pino logger writing JSON lines into `lines` (the real logger, a captured stream). */
export function captureLogger(): { logger: Logger; lines: Array<{ level: number; msg: string; code?: string; [k: string]: unknown }> } {
  const lines: Array<{ level: number; msg: string; code?: string }> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

/** pino numeric levels. */
export const WARN = 40;
export const ERROR = 50;

/** A settable clock in ms. */
export class Clock {
  constructor(public t = T0) {}
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** mulberry32 (test/helpers/random.ts): deterministic vectors so a failing run can be replayed. */
export { mulberry32 as rng } from '../helpers/random.js';

export function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  return v.map((x) => x / n);
}

export function randomUnit(random: () => number, dims: number): Float32Array {
  return unit(Float32Array.from({ length: dims }, () => random() * 2 - 1));
}

/** `base` plus noise of relative size `noise`, renormalised (cosine to base ≈ 1 − noise²/2·…). */
export function near(base: Float32Array, random: () => number, noise = 0.05): Float32Array {
  return unit(base.map((x) => x + (((random() * 2 - 1) * noise) / Math.sqrt(base.length)) * 2));
}

/** One-hot unit vector along axis i (orthogonal for distinct i: cosine 0). */
export function axis(dims: number, i: number): Float32Array {
  const v = new Float32Array(dims);
  v[i] = 1;
  return v;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return d / Math.sqrt(na * nb);
}

export function bits(v: Float32Array): number[] {
  return Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
}

export function options(dir: string, overrides: Partial<MemoryOptions> = {}): MemoryOptions {
  return {
    dir,
    space: space(),
    timeDecay: { gamma: 0.95, halfLifeDays: 30, deathThreshold: 0.1, minRetention: 3 },
    compactionThreshold: 1500,
    enableCompaction: true,
    mergeThreshold: 0.55,
    ...overrides,
  };
}

export function open(dir: string, overrides: Partial<MemoryOptions> = {}): Promise<MemoryStore> {
  return MemoryStore.open(options(dir, overrides));
}

export function journalPath(dir: string): string {
  return path.join(dir, 'user_memory.journal');
}

export function snapshotPath(dir: string): string {
  return path.join(dir, 'user_memory.vctr');
}

/** Comparable form of a patch (vector as raw bits, so -0 and NaN payloads count). */
export function plain(p: {
  id: number;
  vector: Float32Array;
  tier: string;
  label: string | null;
  timestamp: number;
  weight: number;
  textHash: string;
  origin: string;
}) {
  return { id: p.id, vector: bits(p.vector), tier: p.tier, label: p.label, timestamp: p.timestamp, weight: p.weight, textHash: p.textHash, origin: p.origin };
}

/** Alternates tiers by index: even → lightweight, odd → flagship. */
export function tierOf(i: number): 'flagship' | 'lightweight' {
  return (['lightweight', 'flagship'] as const)[i % 2]!;
}

/** A dims-long vector starting with `head`, zeros after. */
export function padded(head: number[], dims = 16): Float32Array {
  const v = new Float32Array(dims);
  v.set(head);
  return v;
}

/** Element-wise a + b. */
export function add(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((x, i) => x + b[i]!);
}

/**
 * The 20,000-event workload: event i is a near-duplicate of one of `bases` when i is even and a
 * fresh random vector when odd; its tier is random.
 */
export function mixedEvent(i: number, bases: Float32Array[], random: () => number, dims: number): { vector: Float32Array; tier: 'flagship' | 'lightweight' } {
  const choices = [() => near(bases[Math.floor(random() * bases.length)]!, random, 0.1), () => randomUnit(random, dims)];
  return { vector: choices[i % 2]!(), tier: tierOf(Math.floor(random() * 2)) };
}

/**
 * Per-test temp dir and store cleanup for a suite: before each test a fresh dir (passed to
 * `onDir`), after it every store opened through the returned function closed and the dir removed.
 * The returned `openStore(overrides, at = dir)` opens a store with `options()` defaults.
 */
export function storeFixture(onDir: (dir: string) => void): (overrides?: Partial<MemoryOptions>, at?: string) => Promise<MemoryStore> {
  let current = '';
  let stores: MemoryStore[] = [];
  beforeEach(() => {
    current = tempDir();
    stores = [];
    onDir(current);
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    fs.rmSync(current, { recursive: true, force: true });
  });
  return async (overrides = {}, at = current) => {
    const store = await open(at, overrides);
    stores.push(store);
    return store;
  };
}
