import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The training corpus (issue 16), where it was built: shape, balance, splits, dedupe and provenance.
// Built by scripts/build-corpus.mjs; this test reads only the committed files.

const ROOT = join(__dirname, '..', '..');
const LABELS = ['CHAT', 'FACT', 'TRANS', 'CODE', 'REASON', 'WRITE'] as const;
const LANGS = ['en', 'zh'] as const;
const SPLITS = ['train', 'calib', 'dev'] as const;
/** Floor of every intent x language cell. */
const CELL_FLOOR = 1500;

interface Item {
  text: string;
  label: string;
  lang: string;
  source: string;
  split: string;
}

interface Source {
  id: string;
  repository: string;
  commit: string;
  license: string;
  paths: string[] | { manifest: string };
}

/** Same normalization as scripts/build-corpus.mjs: NFKC, lower case, no whitespace, punctuation or symbols. */
const normalize = (s: string): string =>
  s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\p{P}\p{S}]+/gu, '');

/** Built by `node scripts/build-corpus.mjs` from public repositories and never committed: absent in a fresh clone, and then skipped. */
const CORPUS = join(ROOT, 'corpus', 'build', 'corpus.jsonl');
const HAS_CORPUS = existsSync(CORPUS);
if (!HAS_CORPUS) console.warn(`corpus.test.ts skipped: ${CORPUS} not built (node scripts/build-corpus.mjs)`);
const lines = HAS_CORPUS ? readFileSync(CORPUS, 'utf8').split('\n') : [];
if (lines.at(-1) === '') lines.pop();
const items: Item[] = lines.map((l) => JSON.parse(l) as Item);
const sources = (JSON.parse(readFileSync(join(ROOT, 'corpus', 'sources.json'), 'utf8')) as { sources: Source[] }).sources;

describe.skipIf(!HAS_CORPUS)('intent corpus (corpus/build/corpus.jsonl)', () => {
  it('has one well-formed item a line', () => {
    expect(items.length).toBeGreaterThan(20_000);
    const bad: string[] = [];
    for (const [i, r] of items.entries()) {
      const ok =
        Object.keys(r).sort().join(',') === 'label,lang,source,split,text' &&
        typeof r.text === 'string' &&
        r.text.length >= 2 &&
        r.text.length <= 2000 &&
        r.text === r.text.trim() &&
        (LABELS as readonly string[]).includes(r.label) &&
        (LANGS as readonly string[]).includes(r.lang) &&
        (SPLITS as readonly string[]).includes(r.split) &&
        typeof r.source === 'string';
      if (!ok) bad.push(`line ${i + 1}: ${lines[i]!.slice(0, 120)}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it(`fills every intent x language cell to at least ${CELL_FLOOR}`, () => {
    const counts = new Map<string, number>();
    for (const r of items) counts.set(`${r.label}/${r.lang}`, (counts.get(`${r.label}/${r.lang}`) ?? 0) + 1);
    for (const l of LABELS) for (const g of LANGS) expect(counts.get(`${l}/${g}`) ?? 0, `${l}/${g}`).toBeGreaterThanOrEqual(CELL_FLOOR);
  });

  it('has the three splits in about 80/10/10, each with every cell', () => {
    for (const s of SPLITS) {
      const share = items.filter((r) => r.split === s).length / items.length;
      expect(share, s).toBeGreaterThan(s === 'train' ? 0.75 : 0.07);
      expect(share, s).toBeLessThan(s === 'train' ? 0.85 : 0.13);
      for (const l of LABELS)
        for (const g of LANGS)
          expect(
            items.some((r) => r.split === s && r.label === l && r.lang === g),
            `${s} ${l}/${g}`,
          ).toBe(true);
    }
  });

  it('has no two items with the same normalized text', () => {
    const seen = new Map<string, number>();
    const dups: string[] = [];
    for (const [i, r] of items.entries()) {
      const n = normalize(r.text);
      const prev = seen.get(n);
      if (prev !== undefined) dups.push(`line ${i + 1} repeats line ${prev + 1}`);
      seen.set(n, i);
    }
    expect(dups.slice(0, 10)).toEqual([]);
  });

  it('draws every item from a source pinned in corpus/sources.json with a permissive license', () => {
    const byId = new Map(sources.map((s) => [s.id, s]));
    expect(byId.size).toBe(sources.length);
    for (const s of sources) {
      expect(s.repository, s.id).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(s.commit, s.id).toMatch(/^[0-9a-f]{40}$/);
      expect(s.license, s.id).toMatch(
        /^(MIT|Apache-2\.0|BSD-[23]-Clause|CC0-1\.0|CC-BY(-SA)?-[234]\.0)( AND (MIT|Apache-2\.0|BSD-[23]-Clause|CC0-1\.0|CC-BY(-SA)?-[234]\.0))*$/,
      );
      expect(s.license, s.id).not.toMatch(/NC/);
    }
    const used = new Set(items.map((r) => r.source));
    for (const id of used) expect(byId.has(id), `source ${id}`).toBe(true);
  });
});
