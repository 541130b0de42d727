import { createHash } from 'node:crypto';
import { type FileHandle, mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Embedder, EmbeddingSpace } from './types.js';
import { spaceId } from './types.js';

/** Progress of a resumable batch: texts embedded so far (cached ones included) out of all unique texts. */
export interface BatchProgress {
  done: number;
  total: number;
  /** Texts found in the cache from an earlier, interrupted run. */
  cached: number;
}

/** Options of ResumableBatchEmbedder. */
export interface ResumableOptions {
  /** Cache file, e.g. `<stateDir>/dna/<dna file>.partial`; its directory is created. */
  cacheFile: string;
  /** Texts per request to the inner embedder (memorySearch.remote.batchSize). */
  batchSize: number;
  /** Called after the cache was read and after every batch. */
  onProgress?: (progress: BatchProgress) => void;
}

const MAGIC = 'SRDE';
const VERSION = 1;
const HASH_BYTES = 32;

/**
 * Wraps a (remote) embedder so that embedBatch survives failures: every batch that succeeds is
 * appended to a cache file before the next one is sent, and a later run embeds only the texts the
 * cache lacks (`dna build` "resumable after a failure", issue 6). The cache is keyed by the
 * sha256 of each text and bound to one embedding space; a cache of another space is discarded.
 *
 * File: header `SRDE`, u16 version 1, u16 0, u32 dims, u32 byte length of the space id, the
 * space id (UTF-8, zero-padded to ×4); then records of 32-byte sha256 + dims little-endian float32
 * + u32 CRC-32 of both. A torn or damaged tail is dropped at the first bad record.
 */
export class ResumableBatchEmbedder implements Embedder {
  readonly space: EmbeddingSpace;
  private readonly inner: Embedder;
  private readonly options: ResumableOptions;

  constructor(inner: Embedder, options: ResumableOptions) {
    this.inner = inner;
    this.space = inner.space;
    this.options = options;
  }

  /** Passes through to the inner embedder. */
  embed(text: string, signal?: AbortSignal): Promise<Float32Array> {
    return this.inner.embed(text, signal);
  }

  /**
   * Embeds `texts`, reusing cached vectors and caching new ones batch by batch. Rejects with the
   * inner embedder's error (what was cached so far stays) or a file-system error.
   */
  async embedBatch(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const keys = texts.map(hashText);
    const cache = await this.readCache();
    const missing = new Map<string, string>();
    keys.forEach((key, i) => {
      if (!cache.has(key) && !missing.has(key)) missing.set(key, texts[i]!);
    });
    const total = new Set(keys).size;
    const cached = total - missing.size;
    this.options.onProgress?.({ done: cached, total, cached });
    if (missing.size > 0) {
      await mkdir(path.dirname(this.options.cacheFile), { recursive: true });
      const fh = await this.openForAppend(cache.validBytes);
      try {
        const todo = [...missing];
        const size = Math.max(1, this.options.batchSize);
        let done = cached;
        for (let i = 0; i < todo.length; i += size) {
          const chunk = todo.slice(i, i + size);
          const vectors = await this.inner.embedBatch(
            chunk.map(([, text]) => text),
            signal,
          );
          await fh.write(
            encodeRecords(
              chunk.map(([key]) => key),
              vectors,
              this.space.dims,
            ),
          );
          chunk.forEach(([key], n) => {
            cache.vectors.set(key, vectors[n]!);
          });
          done += chunk.length;
          this.options.onProgress?.({ done, total, cached });
        }
      } finally {
        await fh.close();
      }
    }
    return keys.map((key) => cache.vectors.get(key)!);
  }

  /** Deletes the cache (after the DNA was written). */
  async discard(): Promise<void> {
    await rm(this.options.cacheFile, { force: true });
  }

  /** Vectors of an earlier run of this space, and how many bytes of the file are sound. */
  private async readCache(): Promise<{ vectors: Map<string, Float32Array>; validBytes: number; has(key: string): boolean }> {
    const vectors = new Map<string, Float32Array>();
    let validBytes = 0;
    let buf: Buffer | null = null;
    try {
      const fh = await open(this.options.cacheFile, 'r');
      try {
        buf = await fh.readFile();
      } finally {
        await fh.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const header = encodeHeader(this.space);
    if (buf && buf.length >= header.length && buf.subarray(0, header.length).equals(header)) {
      const dims = this.space.dims;
      const recordBytes = HASH_BYTES + 4 * dims + 4;
      let at = header.length;
      for (; at + recordBytes <= buf.length; at += recordBytes) {
        const body = buf.subarray(at, at + recordBytes - 4);
        if (crc32(body) !== buf.readUInt32LE(at + recordBytes - 4)) break;
        const v = new Float32Array(dims);
        for (let d = 0; d < dims; d++) v[d] = buf.readFloatLE(at + HASH_BYTES + 4 * d);
        vectors.set(body.toString('hex', 0, HASH_BYTES), v);
      }
      validBytes = at;
    }
    return { vectors, validBytes, has: (key) => vectors.has(key) };
  }

  /** Opens the cache for appending after `validBytes` sound bytes (0 = start a new file with a header). */
  private async openForAppend(validBytes: number): Promise<FileHandle> {
    if (validBytes === 0) {
      const fh = await open(this.options.cacheFile, 'w', 0o600);
      await fh.write(encodeHeader(this.space));
      return fh;
    }
    const fh = await open(this.options.cacheFile, 'r+');
    await fh.truncate(validBytes);
    await fh.close();
    return open(this.options.cacheFile, 'a');
  }
}

function hashText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function encodeHeader(space: EmbeddingSpace): Buffer {
  const id = Buffer.from(spaceId(space), 'utf8');
  const padded = Math.ceil(id.length / 4) * 4;
  const out = Buffer.alloc(16 + padded);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt16LE(VERSION, 4);
  out.writeUInt32LE(space.dims, 8);
  out.writeUInt32LE(id.length, 12);
  id.copy(out, 16);
  return out;
}

function encodeRecords(keys: string[], vectors: Float32Array[], dims: number): Buffer {
  const recordBytes = HASH_BYTES + 4 * dims + 4;
  const out = Buffer.alloc(keys.length * recordBytes);
  keys.forEach((key, n) => {
    const at = n * recordBytes;
    out.write(key, at, 'hex');
    const v = vectors[n]!;
    for (let d = 0; d < dims; d++) out.writeFloatLE(v[d]!, at + HASH_BYTES + 4 * d);
    out.writeUInt32LE(crc32(out.subarray(at, at + recordBytes - 4)), at + recordBytes - 4);
  });
  return out;
}
