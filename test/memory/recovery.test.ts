import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSrdError } from '../../src/errors.js';
import type { NewPatch } from '../../src/memory/index.js';
import { scanJournal } from '../../src/memory/journal.js';
import { decodeVctr, encodeVctr } from '../../src/vctr/index.js';
import { axis, captureLogger, ERROR, journalPath, open, plain, randomUnit, rng, snapshotPath, space, storeFixture, tierOf, WARN } from './helpers.js';

let dir: string;
const openStore = storeFixture((d) => (dir = d));

function event(i: number, extra: Partial<NewPatch> = {}): NewPatch {
  return { vector: axis(16, i % 16), tier: tierOf(i), label: null, text: `event ${i}`, origin: 'feedback', ...extra };
}

/** Appends `n` events one by one, closes, and returns the acknowledged patches. */
async function seed(n: number, at = dir) {
  const store = await openStore({}, at);
  const acked = [];
  for (let i = 0; i < n; i++) acked.push(await store.append(event(i)));
  await store.close();
  return acked;
}

function sideFiles(tag: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.startsWith(`user_memory.journal.${tag}-`));
}

describe('journal damage at start-up', () => {
  it('skips a torn final record with a warning, keeps every earlier record and saves the torn bytes aside', async () => {
    const acked = await seed(5);
    const file = journalPath(dir);
    const full = fs.readFileSync(file);
    fs.truncateSync(file, full.length - 7);
    const { logger, lines } = captureLogger();

    const store = await openStore({ logger });
    expect(store.patches().map(plain)).toEqual(acked.slice(0, 4).map(plain));
    const warns = lines.filter((l) => l.level === WARN);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ code: 'SRD_ERR_MEMORY_JOURNAL_CORRUPT', offset: 4 * store.bytesPerRecord, bytes: store.bytesPerRecord - 7 });
    expect(warns[0]!.msg).toMatch(
      /torn write.*the 4 record\(s\) before them and any after them are kept; the bytes were saved to .*user_memory\.journal\.corrupt-/,
    );
    const [saved] = sideFiles('corrupt');
    expect(fs.readFileSync(path.join(dir, saved!)).equals(full.subarray(4 * store.bytesPerRecord, full.length - 7))).toBe(true);

    // The journal was repaired: new records do not land behind the torn bytes.
    await store.append(event(9));
    await store.close();
    const again = captureLogger();
    const reopened = await openStore({ logger: again.logger });
    expect(reopened.size).toBe(5);
    expect(again.lines.filter((l) => l.level >= WARN)).toEqual([]);
  });

  it('skips garbage appended after valid records and keeps them all', async () => {
    const acked = await seed(3);
    fs.appendFileSync(journalPath(dir), Buffer.from('\x00\x01garbage from a crashed editor session\n'));
    const { logger, lines } = captureLogger();
    const store = await openStore({ logger });
    expect(store.patches().map(plain)).toEqual(acked.map(plain));
    expect(lines.filter((l) => l.level === WARN).map((l) => l.code)).toEqual(['SRD_ERR_MEMORY_JOURNAL_CORRUPT']);
    expect(lines.find((l) => l.level === WARN)!.reason).toMatch(/^bad magic/);
  });

  it('skips a last record with a flipped byte and keeps the earlier ones', async () => {
    const acked = await seed(4);
    const file = journalPath(dir);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0x40;
    fs.writeFileSync(file, bytes);
    const { logger, lines } = captureLogger();
    const store = await openStore({ logger });
    expect(store.patches().map(plain)).toEqual(acked.slice(0, 3).map(plain));
    expect(lines.filter((l) => l.level === WARN)).toMatchObject([
      { code: 'SRD_ERR_MEMORY_JOURNAL_CORRUPT', reason: expect.stringMatching(/^CRC-32 mismatch/) },
    ]);
  });

  it('skips a damaged record in the middle without losing the records after it', async () => {
    const acked = await seed(4);
    const file = journalPath(dir);
    const bytes = fs.readFileSync(file);
    const size = bytes.length / 4;
    bytes[size + 30] = bytes[size + 30]! ^ 0x01;
    fs.writeFileSync(file, bytes);
    const { logger, lines } = captureLogger();
    const store = await openStore({ logger });
    expect(store.patches().map((p) => p.id)).toEqual([acked[0]!.id, acked[2]!.id, acked[3]!.id]);
    expect(lines.filter((l) => l.level === WARN)).toHaveLength(1);
  });

  it('never mixes records of another embedding space: skips them with a warning and saves them as a replayable journal', async () => {
    const other = { ...space(16), model: 'other-model' };
    const a = await openStore({ space: other });
    await a.append(event(1));
    await a.append(event(2));
    await a.close();

    const { logger, lines } = captureLogger();
    const store = await openStore({ logger });
    expect(store.size).toBe(0);
    const warns = lines.filter((l) => l.level === WARN);
    expect(warns.map((l) => l.code)).toEqual(['SRD_ERR_MEMORY_SPACE_MISMATCH']);
    expect(warns[0]!.msg).toMatch(
      /2 record\(s\) from embedding space local\/other-model\/16 \(configured: local\/local-hash-v1\/16\) were not loaded, never mixed/,
    );
    const [foreign] = sideFiles('foreign');
    const saved = scanJournal(fs.readFileSync(path.join(dir, foreign!)));
    expect(saved.records.map((r) => [r.patch.id, r.spaceId])).toEqual([
      [1, 'local/other-model/16'],
      [2, 'local/other-model/16'],
    ]);
    // Ids stay above every id seen, whatever its space.
    expect((await store.append(event(3))).id).toBe(3);
  });

  it('skips a record whose id is not above the previous one (a duplicated region) with a warning', async () => {
    const acked = await seed(2);
    const file = journalPath(dir);
    fs.appendFileSync(file, fs.readFileSync(file));
    const { logger, lines } = captureLogger();
    const store = await openStore({ logger });
    expect(store.patches().map(plain)).toEqual(acked.map(plain));
    expect(lines.filter((l) => l.level === WARN).map((l) => l.reason)).toEqual([
      "record id 1 is not above the previous record's",
      "record id 2 is not above the previous record's",
    ]);
  });
});

/** The same snapshot as an older version wrote it: no `crc` in its rows (re-encoded, so its whole-file CRC holds). */
function withoutRowChecksums(bytes: Buffer): Buffer {
  const file = decodeVctr(bytes, 'snapshot');
  const rows = file.metadata.rows.map(({ crc: _crc, ...row }) => row);
  return encodeVctr({ dims: file.dims, count: file.count, data: file.data, normalized: file.normalized, metadata: { ...file.metadata, rows } });
}

describe('snapshot damage at start-up', () => {
  async function compactedWithTail(): Promise<{ folded: number[]; tail: number[] }> {
    const store = await openStore();
    const random = rng(7);
    for (let i = 0; i < 3; i++) await store.append(event(i, { vector: randomUnit(random, 16) }));
    await store.compact();
    const tail = [await store.append(event(5)), await store.append(event(6))];
    const folded = store
      .patches()
      .slice(0, 3)
      .map((p) => p.id);
    await store.close();
    return { folded, tail: tail.map((p) => p.id) };
  }

  it('moves a corrupt snapshot written without row checksums (before issue 15) aside with the same bytes, logs an error and still loads the journal after it', async () => {
    const { tail } = await compactedWithTail();
    const file = snapshotPath(dir);
    const bytes = withoutRowChecksums(fs.readFileSync(file));
    bytes[64 + 5] = bytes[64 + 5]! ^ 0x10;
    fs.writeFileSync(file, bytes);
    const { logger, lines } = captureLogger();

    const store = await openStore({ logger });
    expect(store.patches().map((p) => p.id)).toEqual(tail);
    const aside = fs.readdirSync(dir).filter((f) => f.startsWith('user_memory.vctr.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, aside[0]!)).equals(bytes)).toBe(true);
    expect(fs.existsSync(file)).toBe(false);
    const errors = lines.filter((l) => l.level === ERROR);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'SRD_ERR_VCTR_CRC_MISMATCH', path: file, movedTo: path.join(dir, aside[0]!) });
    expect(errors[0]!.msg).toMatch(
      /^user memory snapshot .*user_memory\.vctr is unusable \(.*CRC-32 mismatch.*\); moved aside to .*corrupt-.* \(not deleted\); starting from the journal alone/,
    );
  });

  it('moves aside a snapshot of another embedding space instead of mixing it in', async () => {
    await compactedWithTail();
    const { logger, lines } = captureLogger();
    const store = await openStore({ logger, space: { ...space(16), provider: 'openai', model: 'text-embedding-3-small' } });
    expect(store.size).toBe(0);
    expect(lines.filter((l) => l.level === ERROR).map((l) => l.code)).toEqual(['SRD_ERR_MEMORY_SPACE_MISMATCH']);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('user_memory.vctr.corrupt-'))).toHaveLength(1);
  });

  it('fails open with SRD_ERR_MEMORY_IO, moving nothing, when the snapshot cannot be read at all', async () => {
    fs.mkdirSync(snapshotPath(dir));
    const err = await open(dir).catch((e: unknown) => e);
    expect(isSrdError(err, 'SRD_ERR_MEMORY_IO')).toBe(true);
    expect((err as Error).message).toMatch(/user_memory\.vctr: could not read the memory snapshot: EISDIR/);
    expect(fs.statSync(snapshotPath(dir)).isDirectory()).toBe(true);
  });
});

describe('a crash in the middle of compaction', () => {
  /** Runs a real compaction in a copy of `dir` and returns the snapshot and journal it produced. */
  async function compactCopy(): Promise<{ snapshot: Buffer; journal: Buffer; live: ReturnType<typeof plain>[] }> {
    const copy = `${dir}-copy`;
    fs.cpSync(dir, copy, { recursive: true });
    try {
      const store = await openStore({}, copy);
      await store.compact();
      const live = store.patches().map(plain);
      await store.close();
      return { snapshot: fs.readFileSync(snapshotPath(copy)), journal: fs.readFileSync(journalPath(copy)), live };
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  }

  async function duplicates(n: number) {
    const store = await openStore();
    // Every third event repeats axis 4 (merge fodder); the others are distinct axes.
    const vectors = Array.from({ length: n }, (_, i) => [axis(16, 4), axis(16, i % 16), axis(16, i % 16)][i % 3]!);
    const acked = [];
    for (const vector of vectors) acked.push(await store.append(event(acked.length, { vector, tier: 'flagship' })));
    await store.close();
    return acked;
  }

  it('loses nothing when the new snapshot was written to its temp file but not renamed', async () => {
    const acked = await duplicates(12);
    const { snapshot } = await compactCopy();
    fs.writeFileSync(path.join(dir, `.user_memory.vctr.tmp-4242-deadbeef0000`), snapshot.subarray(0, snapshot.length - 10));
    const { logger, lines } = captureLogger();
    const store = await openStore({ logger });
    expect(store.patches().map(plain)).toEqual(acked.map(plain));
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(lines.some((l) => /removed 1 temp file/.test(l.msg))).toBe(true);
  });

  it('loses nothing when the snapshot was renamed but the old journal was kept (and events kept coming)', async () => {
    await duplicates(12);
    const oldJournal = fs.readFileSync(journalPath(dir));
    const { snapshot, live } = await compactCopy();
    expect(live.length).toBeLessThan(12);
    // After the rename, before the journal restart: new snapshot, old journal, plus 2 events appended since.
    fs.writeFileSync(snapshotPath(dir), snapshot);
    fs.writeFileSync(journalPath(dir), oldJournal);
    fs.writeFileSync(path.join(dir, '.user_memory.journal.tmp-4242-deadbeef0000'), Buffer.alloc(3));
    const writer = await openStore();
    const later = [await writer.append(event(20)), await writer.append(event(21))];
    await writer.close();

    const { logger, lines } = captureLogger();
    const store = await openStore({ logger });
    expect(store.patches().map(plain)).toEqual([...live, ...later.map(plain)]);
    expect(lines.filter((l) => l.level >= WARN)).toEqual([]);
    // The already-folded records were dropped from the journal, which now holds just the 2 new events.
    expect(fs.statSync(journalPath(dir)).size).toBe(2 * store.bytesPerRecord);
  });
});
