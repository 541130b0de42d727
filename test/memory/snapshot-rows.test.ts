import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NewPatch } from '../../src/memory/index.js';
import { readVctr } from '../../src/vctr/index.js';
import { axis, captureLogger, ERROR, plain, snapshotPath, storeFixture, WARN } from './helpers.js';

// Issue 15: each user-memory snapshot row carries its own checksum (`crc`, docs/vctr-format.md),
// so one flipped byte costs one correction, not the whole snapshot.

let dir: string;
const openStore = storeFixture((d) => (dir = d));

const DIMS = 16;
const N = 12;

function event(i: number): NewPatch {
  // One axis per event: orthogonal vectors, so compaction merges none of them.
  return { vector: axis(DIMS, i), tier: i % 2 ? 'flagship' : 'lightweight', label: null, text: `correction ${i}`, origin: 'feedback' };
}

/** Learns N corrections, compacts them into the snapshot, closes; returns them as stored. */
async function compacted(): Promise<ReturnType<typeof plain>[]> {
  const store = await openStore();
  for (let i = 0; i < N; i++) await store.append(event(i));
  const report = await store.compact();
  expect(report).toMatchObject({ before: N, after: N, merged: 0, dropped: 0, evicted: 0 });
  const live = store.patches().map(plain);
  await store.close();
  return live;
}

/** Flips one byte inside row `row`'s vector data in the snapshot; returns the damaged file's bytes. */
function damage(row: number): Buffer {
  const file = snapshotPath(dir);
  const bytes = fs.readFileSync(file);
  const dataOffset = Number(bytes.readBigUInt64LE(32));
  const at = dataOffset + row * DIMS * 4 + 4 * 3 + 2;
  bytes.writeUInt8(bytes.readUInt8(at) ^ 0x41, at);
  fs.writeFileSync(file, bytes);
  return bytes;
}

const aside = () => fs.readdirSync(dir).filter((f) => f.startsWith('user_memory.vctr.corrupt-'));

describe('per-row checksums in the user-memory snapshot', () => {
  it('keeps the N−1 intact rows after one byte of one row flips, warns with 1 damaged row, keeps the damaged file aside and rewrites a clean snapshot', async () => {
    const live = await compacted();
    const damaged = damage(5);
    const { logger, lines } = captureLogger();

    const store = await openStore({ logger });
    expect(store.patches().map(plain)).toEqual(live.filter((_, i) => i !== 5));
    expect(store.stats().snapshotRows).toBe(N - 1);

    const warnings = lines.filter((l) => l.level === WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'SRD_ERR_VCTR_CRC_MISMATCH', kept: N - 1, damaged: 1, rows: N });
    expect(warnings[0]!.msg).toContain(`kept ${N - 1} of ${N} rows whose own checksum holds, dropped 1 damaged row(s)`);
    expect(lines.filter((l) => l.level >= ERROR)).toEqual([]);

    const saved = aside();
    expect(saved).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, saved[0]!)).equals(damaged)).toBe(true);
    // The snapshot in place is whole again (its CRC holds) and holds exactly the kept rows.
    const clean = await readVctr(snapshotPath(dir));
    expect(clean.count).toBe(N - 1);
    expect(clean.metadata.rows.every((r) => typeof r.crc === 'number')).toBe(true);
  });

  it('does not set a second copy over the first: a later damaged snapshot is saved under a new name', async () => {
    await compacted();
    damage(0);
    await (await openStore()).close();
    damage(1);
    const store = await openStore();
    expect(store.size).toBe(N - 2);
    expect(aside()).toHaveLength(2);
  });

  it('trusts no row when lastSeq was damaged: the snapshot is moved aside whole and the journal alone is loaded', async () => {
    await compacted();
    const file = snapshotPath(dir);
    const bytes = fs.readFileSync(file);
    const at = bytes.indexOf(`"lastSeq":${N},`);
    expect(at).toBeGreaterThan(64);
    // 12 → 13: the metadata still parses and every row still looks valid, but the fold point lies.
    bytes.write(`"lastSeq":${N + 1},`, at, 'latin1');
    fs.writeFileSync(file, bytes);
    const { logger, lines } = captureLogger();
    const store = await openStore({ logger });
    expect(store.size).toBe(0);
    const errors = lines.filter((l) => l.level === ERROR);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'SRD_ERR_VCTR_CRC_MISMATCH' });
    expect(aside()).toHaveLength(1);
    expect(fs.existsSync(snapshotPath(dir))).toBe(false);
  });
});
