import { describe, expect, it } from 'vitest';
import { fitTemperature, type SparseVector, scoreClasses, toSparse, trainRows } from '../../src/intent-model/dna-train.js';
import { type DnaModel, intentScores } from '../../src/intent-model/index.js';

const DIMS = 64;

/** Deterministic PRNG so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/**
 * Two classes, each a union of two clusters around its own dims (class 0: dims 0–7 and 16–23,
 * class 1: dims 8–15 and 24–31), plus noise everywhere: a job for several rows per class.
 */
function twoClassData(n: number, seed: number): { samples: SparseVector[]; labels: number[] } {
  const r = rng(seed);
  const samples: SparseVector[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const cluster = Math.floor(i / 2) % 2;
    const v = new Float32Array(DIMS).map(() => (r() - 0.5) * 0.6);
    const base = label * 8 + cluster * 16;
    for (let d = base; d < base + 8; d++) v[d]! += 1;
    samples.push(toSparse(unit(v)));
    labels.push(label);
  }
  return { samples, labels };
}

/** Index of the higher-scoring class. */
function predict(s: SparseVector, model: ReturnType<typeof trainRows>): number {
  const [a, b] = scoreClasses(s, model, 2, DIMS);
  return a! > b! ? 0 : 1;
}

/** Cosine-like scores in [0, 0.4) and labels drawn from softmax(temperature · scores). */
function softmaxSamples(n: number, temperature: number, seed: number): { scores: number[][]; labels: number[] } {
  const r = rng(seed);
  const scores: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = [r() * 0.4, r() * 0.4, r() * 0.4];
    const exps = row.map((s) => Math.exp(temperature * s));
    let u = r() * exps.reduce((a, b) => a + b, 0);
    let label = 0;
    while (label < 2) {
      u -= exps[label]!;
      if (u <= 0) break;
      label++;
    }
    scores.push(row);
    labels.push(label);
  }
  return { scores, labels };
}

function rowNorm(data: Float32Array, r: number): number {
  return Math.hypot(...data.subarray(r * DIMS, (r + 1) * DIMS));
}

describe('trainRows', () => {
  it('returns unit-length rows, `prototypes` per class, grouped by class', () => {
    const { samples, labels } = twoClassData(200, 1);
    const model = trainRows(samples, labels, 2, DIMS, { prototypes: 3, epochs: 4 });
    expect(model.rowClass).toEqual([0, 0, 0, 1, 1, 1]);
    expect(model.data).toHaveLength(6 * DIMS);
    for (let r = 0; r < 6; r++) expect(rowNorm(model.data, r)).toBeCloseTo(1, 5);
  });

  it('gives a class with no more samples than prototypes one row and a class without samples none', () => {
    const { samples, labels } = twoClassData(40, 2);
    const model = trainRows([...samples, samples[0]!, samples[1]!], [...labels, 2, 2], 4, DIMS, { prototypes: 4, epochs: 2 });
    expect(model.rowClass).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2]);
    expect(scoreClasses(samples[0]!, model, 4, DIMS)[3]).toBe(-1);
  });

  it('is deterministic for a given PRNG seed', () => {
    const { samples, labels } = twoClassData(120, 3);
    const a = trainRows(samples, labels, 2, DIMS, { prototypes: 2, epochs: 3, seed: 7 });
    const b = trainRows(samples, labels, 2, DIMS, { prototypes: 2, epochs: 3, seed: 7 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  it('separates held-out samples of two classes made of two clusters each', () => {
    const train = twoClassData(400, 4);
    const test = twoClassData(200, 5);
    const model = trainRows(train.samples, train.labels, 2, DIMS, { prototypes: 2, epochs: 8 });
    const correct = test.samples.filter((s, i) => predict(s, model) === test.labels[i]).length;
    expect(correct / test.samples.length).toBeGreaterThan(0.95);
  });
});

describe('scoreClasses', () => {
  it('scores each class by the best cosine among its rows, and -1 for a class without rows', () => {
    const data = new Float32Array(3 * DIMS);
    data[0] = 1; // row 0 (class 0) = e0
    data[DIMS + 1] = 1; // row 1 (class 0) = e1
    data[2 * DIMS + 2] = 1; // row 2 (class 1) = e2
    const q = new Float32Array(DIMS);
    q[1] = 0.8;
    q[2] = 0.6;
    expect(scoreClasses(toSparse(q), { data, rowClass: [0, 0, 1] }, 3, DIMS).map((x) => Math.round(x * 1000) / 1000)).toEqual([0.8, 0.6, -1]);
  });
});

describe('fitTemperature', () => {
  it('recovers the temperature that generated the labels (within 25%)', () => {
    const { scores, labels } = softmaxSamples(4000, 20, 9);
    const t = fitTemperature(scores, labels);
    expect(t).toBeGreaterThan(15);
    expect(t).toBeLessThan(25);
  });
});

describe('intentScores', () => {
  it('takes the best row per intent and turns cosines into tier probabilities that sum to 1', () => {
    const dna: DnaModel = {
      path: '/x/dna.vctr',
      space: { provider: 'local', model: 'test', dims: 4 },
      rows: 4,
      dims: 4,
      labels: ['CODE', 'CODE', 'CHAT', 'WRITE'],
      data: new Float32Array(16),
      temperature: 10,
      threshold: 0.1,
    };
    const s = intentScores(Float32Array.from([0.1, 0.5, 0.3, 0.2]), dna);
    expect(s.cosine.CODE).toBeCloseTo(0.5, 6);
    expect(s.cosine.FACT).toBe(-1);
    expect(s.ranked).toEqual(['CODE', 'CHAT', 'WRITE']);
    expect(s.tierProbability.flagship + s.tierProbability.lightweight).toBeCloseTo(1, 6);
    // softmax(10 · [0.5, 0.3, 0.2]) over CODE, CHAT, WRITE: CODE is e^2 / (e^2 + 1 + e^-1).
    expect(s.tierProbability.flagship).toBeCloseTo(Math.exp(2) / (Math.exp(2) + 1 + Math.exp(-1)), 6);
  });
});
