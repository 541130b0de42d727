import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import {
  floatsToLE,
  VCTR_DATA_ALIGN,
  VCTR_DTYPE_FLOAT32,
  VCTR_FLAG_NORMALIZED,
  VCTR_MAGIC,
  VCTR_VERSION,
  type VctrInput,
  vctrMetadataProblem,
} from './vctr-types.js';

const U32_MAX = 0xffff_ffff;

function checkInput(input: VctrInput): void {
  const { dims, count, data, metadata } = input;
  if (!Number.isInteger(dims) || dims < 1 || dims > U32_MAX) throw new TypeError(`dims must be an integer in 1..${U32_MAX}, got ${dims}`);
  if (!Number.isInteger(count) || count < 0 || count > U32_MAX) throw new TypeError(`count must be an integer in 0..${U32_MAX}, got ${count}`);
  if (!(data instanceof Float32Array)) throw new TypeError('data must be a Float32Array');
  if (data.length !== count * dims) throw new TypeError(`data has ${data.length} values, expected count × dims = ${count} × ${dims} = ${count * dims}`);
  const problem = vctrMetadataProblem(metadata, dims, count);
  if (problem !== undefined) throw new TypeError(problem);
}

/**
 * Encodes vectors and metadata as a VCTR v2 file: 40-byte header, zero padding to
 * dataOffset = 64, count × dims little-endian float32 rows, then the metadata as UTF-8 JSON to
 * the end; the header CRC-32 covers the data and metadata sections.
 * Throws TypeError when dims/count are not u32 integers (dims ≥ 1), data.length !== count × dims,
 * or the metadata does not have the VctrMetadata shape (rows.length !== count,
 * embedding.dims !== dims, …). Rule: DESIGN.md §5 VCTR v2.
 */
export function encodeVctr(input: VctrInput): Buffer {
  checkInput(input);
  const { dims, count, data, normalized, metadata } = input;
  const meta = Buffer.from(JSON.stringify(metadata), 'utf8');
  const dataOffset = VCTR_DATA_ALIGN;
  const dataBytes = data.length * 4;
  const metadataOffset = dataOffset + dataBytes;
  const out = Buffer.alloc(metadataOffset + meta.length);
  floatsToLE(data, out, dataOffset);
  meta.copy(out, metadataOffset);
  out.write(VCTR_MAGIC, 0, 'latin1');
  out.writeUInt16LE(VCTR_VERSION, 4);
  out.writeUInt8(VCTR_DTYPE_FLOAT32, 6);
  out.writeUInt8(normalized ? VCTR_FLAG_NORMALIZED : 0, 7);
  out.writeUInt32LE(dims, 8);
  out.writeUInt32LE(count, 12);
  out.writeUInt32LE(crc32(out.subarray(metadataOffset), crc32(out.subarray(dataOffset, metadataOffset))), 16);
  out.writeBigUInt64LE(BigInt(metadataOffset), 24);
  out.writeBigUInt64LE(BigInt(dataOffset), 32);
  return out;
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    return;
  }
}

/**
 * Atomically writes a VCTR v2 file: encodes (see encodeVctr), creates the parent directories,
 * writes a temp file in the same directory, fsyncs it, renames it over `path`, then fsyncs the
 * directory (best effort). Readers see either the old file or the complete new one; on failure
 * the temp file is removed and the target is left untouched.
 * Throws TypeError for invalid input (before touching the disk) and file-system errors as-is.
 * `options.mode` sets the file's permission bits whatever the umask (see DurableWriteOptions).
 * Rule: DESIGN.md §5 VCTR v2.
 */
export async function writeVctr(path: string, input: VctrInput, options: DurableWriteOptions = {}): Promise<void> {
  const bytes = encodeVctr(input);
  await mkdir(dirname(path), { recursive: true });
  await writeFileDurable(path, bytes, options);
}

/** Options of writeFileDurable / writeVctr. */
export interface DurableWriteOptions {
  /**
   * Permission bits of the new file and of its temp file, applied with fchmod so the umask cannot
   * widen or narrow them (e.g. 0o600 for user memory). Default: 0o666 less the process umask.
   */
  mode?: number;
}

/**
 * Atomically replaces `path` with `bytes`: a temp file `.<name>.tmp-<pid>-<random>` in the same
 * directory, fsync, rename over `path`, fsync of the directory (best effort). A crash leaves the
 * old file or the new one, never a mix. The temp file is removed on failure; file-system errors
 * pass through as-is. Shared by VCTR files and the user-memory journal restarts. `options.mode`
 * sets the permission bits of the temp file from its creation, hence of the file (see DurableWriteOptions).
 */
export async function writeFileDurable(path: string, bytes: Uint8Array, options: DurableWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    // Created with the final mode: the temp file is never readable by more users than the file it becomes.
    const handle = await open(tmp, 'wx', options.mode ?? 0o666);
    try {
      if (options.mode !== undefined) await handle.chmod(options.mode);
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

/**
 * A free name beside `path` for keeping a bad or skipped copy: `<path>.<tag>-<ISO time without
 * colons>`, with `-1`, `-2`, … added while that name is taken (so an earlier copy is never
 * overwritten). File-system errors other than ENOENT pass through.
 */
export async function asidePath(path: string, tag: string): Promise<string> {
  const base = `${path}.${tag}-${new Date().toISOString().replace(/:/g, '')}`;
  let target = base;
  for (let n = 1; await exists(target); n++) target = `${base}-${n}`;
  return target;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Moves a bad file out of the way without deleting it: renames `path` to
 * `${path}.corrupt-<ISO timestamp without colons>` (a `-1`, `-2`, … suffix is added if that
 * name is taken) and returns the new path. `reason` (e.g. the SrdError message) is quoted in
 * the Error thrown when the rename fails (ENOENT, EACCES, …), which keeps the errno `code` and has
 * the original error as `cause`.
 * Rule: DESIGN.md §5 VCTR v2.
 */
export async function moveAside(path: string, reason: string): Promise<string> {
  try {
    const target = await asidePath(path, 'corrupt');
    await rename(path, target);
    return target;
  } catch (err) {
    const wrapped = new Error(`${path}: could not move the file aside (${reason}): ${(err as Error).message}`, { cause: err });
    throw Object.assign(wrapped, { code: (err as NodeJS.ErrnoException).code });
  }
}
