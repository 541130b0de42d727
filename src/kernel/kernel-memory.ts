import { readFileSync } from 'node:fs';
import { SrdError } from '../errors.js';
import type { MatrixRegion } from './messages.js';

/** WebAssembly page size in bytes. */
const PAGE = 65_536;
/** Allocation granule: 64-byte alignment keeps every matrix row start cache-line aligned. */
export const ALIGN = 64;
/** The first page is left to the kernel's own (empty) static data. */
const HEAP_START = PAGE;
/** 65536 pages = 4 GiB, the wasm32 ceiling. */
const MAX_PAGES = 65_536;

/** Index of the bump pointer (in 64-byte blocks) in the control array. */
const CTRL_BUMP = 0;
/** Int32 slots in the control array. */
const CTRL_SLOTS = 16;

/**
 * Allocates `bytes` (rounded up to 64) from the shared memory and returns the byte offset. Safe
 * from any thread: the bump pointer is advanced with Atomics and the memory grown as needed.
 * Memory is never freed; reloads and scratch growth are rare and bounded.
 */
export function allocShared(memory: WebAssembly.Memory, control: SharedArrayBuffer, bytes: number): number {
  const ctrl = new Int32Array(control);
  const blocks = Math.ceil(Math.max(bytes, 1) / ALIGN);
  const start = Atomics.add(ctrl, CTRL_BUMP, blocks) * ALIGN;
  const end = start + blocks * ALIGN;
  const have = memory.buffer.byteLength;
  if (end > have) {
    const pages = Math.ceil((end - have) / PAGE);
    try {
      memory.grow(pages);
    } catch (err) {
      // Another thread may have grown it meanwhile; only fail if it is still too small.
      if (memory.buffer.byteLength < end) {
        throw new SrdError('SRD_ERR_KERNEL_LOAD', `shared kernel memory cannot grow to ${end} bytes: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  return start;
}

/**
 * The shared linear memory every kernel worker instantiates on (DESIGN.md §3): matrices are
 * copied in once and stay resident; workers only read them.
 */
export class KernelMemory {
  readonly memory: WebAssembly.Memory;
  readonly control: SharedArrayBuffer;

  constructor(initialBytes = 4 * PAGE) {
    const initial = Math.max(2, Math.ceil((HEAP_START + initialBytes) / PAGE));
    this.memory = new WebAssembly.Memory({ initial, maximum: MAX_PAGES, shared: true });
    this.control = new SharedArrayBuffer(CTRL_SLOTS * 4);
    Atomics.store(new Int32Array(this.control), CTRL_BUMP, HEAP_START / ALIGN);
  }

  /** Bytes handed out so far, including the reserved first page. */
  get usedBytes(): number {
    return Atomics.load(new Int32Array(this.control), CTRL_BUMP) * ALIGN;
  }

  /**
   * Copies a row-major float32 matrix into the shared memory and returns its region.
   * `data.length` must equal rows × dims.
   */
  loadMatrix(data: Float32Array, rows: number, dims: number): MatrixRegion {
    if (data.length !== rows * dims) throw new TypeError(`matrix has ${data.length} floats, expected ${rows} × ${dims}`);
    const offset = allocShared(this.memory, this.control, data.byteLength);
    new Float32Array(this.memory.buffer, offset, data.length).set(data);
    return { offset, rows, dims };
  }

  /**
   * Copies a row-major float32 matrix into the shared memory TRANSPOSED (column-major,
   * columnStride = rows) and returns its region; the kernel then skips the dims a sparse query
   * does not use (scoresColumns). `data.length` must equal rows × dims.
   */
  loadColumns(data: Float32Array, rows: number, dims: number): MatrixRegion {
    if (data.length !== rows * dims) throw new TypeError(`matrix has ${data.length} floats, expected ${rows} × ${dims}`);
    const offset = allocShared(this.memory, this.control, data.byteLength);
    const m = new Float32Array(this.memory.buffer, offset, data.length);
    for (let r = 0; r < rows; r++) for (let j = 0; j < dims; j++) m[j * rows + r] = data[r * dims + j]!;
    return { offset, rows, dims, columnStride: rows };
  }

  /** Copies `vector` into row `row` of a resident matrix (row < the region's allocated rows). */
  write(region: MatrixRegion, row: number, vector: Float32Array): void {
    new Float32Array(this.memory.buffer, region.offset + row * region.dims * 4, region.dims).set(vector);
  }

  /** A copy of a resident matrix's first `region.rows` rows. */
  read(region: MatrixRegion): Float32Array {
    return new Float32Array(this.memory.buffer, region.offset, region.rows * region.dims).slice();
  }
}

/** Which kernel build to load. */
export type KernelFlavour = 'simd' | 'scalar';

/**
 * Compiles the kernel once: the SIMD build unless the engine rejects it or
 * SMART_ROUTERD_NO_WASM_SIMD=1 asks for the scalar one (STYLE §16, the llhttp pattern).
 * Throws SRD_ERR_KERNEL_LOAD when neither build can be read or compiled.
 */
export function compileKernel(env: NodeJS.ProcessEnv = process.env): { module: WebAssembly.Module; flavour: KernelFlavour } {
  const wantScalar = env.SMART_ROUTERD_NO_WASM_SIMD === '1';
  const candidates: KernelFlavour[] = wantScalar ? ['scalar'] : ['simd', 'scalar'];
  const errors: string[] = [];
  for (const flavour of candidates) {
    const file = new URL(flavour === 'simd' ? '../../build/kernel.wasm' : '../../build/kernel-scalar.wasm', import.meta.url);
    try {
      const bytes = readFileSync(file);
      if (!WebAssembly.validate(bytes)) throw new Error('engine rejected the module (no SIMD/threads support?)');
      return { module: new WebAssembly.Module(bytes), flavour };
    } catch (err) {
      errors.push(`${file.pathname}: ${(err as Error).message}`);
    }
  }
  throw new SrdError('SRD_ERR_KERNEL_LOAD', `cannot load the similarity kernel (run \`npm run build:kernel\`): ${errors.join('; ')}`);
}
