/**
 * Test helper: moves every later wasm allocation above 2 GiB of heap, where byte offsets no longer fit a signed
 * 32-bit integer (the wasm heap grows to 4 GiB; tfjs keeps offsets unsigned). Issue 8, item 1: kernels that turned
 * an offset into an index with `>> 2` read NaN, lost writes and copied over unrelated memory there.
 *
 * How: one `_malloc` of `floats` float32 values (the 560,000,000: 2.24 GB) raises the heap's top past 2 GiB.
 * The ballast is never written, so the kernel does not back its pages with memory (the process stays ~200 MB).
 * Allocations could still land in free chunks left below it, so those are then filled: chunks of decreasing size
 * are taken until one comes from above 2 GiB, down to the smallest request. After that nothing below 2 GiB is free,
 * and every tensor (and every C++ allocation) lands above, which {@link HeapBallast.lowest} lets a test assert.
 */
import type { WasmBackend } from '../wasm-internals.js';

/** 2 GiB: the first byte offset that a signed 32-bit shift turns negative. */
export const TWO_GIB = 2 ** 31;

type Malloc = (bytes: number) => number;
interface EmscriptenHeap {
  _malloc: Malloc;
  _free(ptr: number): void;
}

/** What {@link pushHeapAboveTwoGiB} holds, and what it saw allocated since. */
export interface HeapBallast {
  /** Byte offset of the ballast (unsigned). */
  readonly ballast: number;
  /** Lowest byte offset `_malloc` returned since the ballast (Infinity before any allocation). */
  lowest(): number;
  /** Number of `_malloc` calls since the ballast. */
  allocations(): number;
  /** Frees the ballast and the fillers and stops watching `_malloc`. */
  release(): void;
}

/** Allocates the ballast on `backend`'s heap and fills the free chunks below 2 GiB (see the module comment). */
export function pushHeapAboveTwoGiB(backend: WasmBackend, floats = 560_000_000): HeapBallast {
  const heap = backend.wasm as unknown as EmscriptenHeap;
  const bytes = floats * Float32Array.BYTES_PER_ELEMENT;
  const ballast = heap._malloc(bytes) >>> 0;
  if (ballast === 0) throw new Error(`pushHeapAboveTwoGiB: the wasm heap could not grow by ${bytes} bytes`);
  if (ballast + bytes < TWO_GIB) throw new RangeError(`pushHeapAboveTwoGiB: floats ${floats} leave the heap's top below 2 GiB`);
  const fillers: number[] = [];
  for (let size = 1 << 20; size >= 4; size >>= 2) {
    for (;;) {
      const p = heap._malloc(size) >>> 0;
      if (p === 0) throw new Error('pushHeapAboveTwoGiB: out of wasm heap while filling free chunks');
      if (p >= TWO_GIB) {
        heap._free(p);
        break;
      }
      fillers.push(p);
    }
  }
  // Watch every later allocation: the backend calls `this.wasm._malloc` for each tensor it creates. Read only now:
  // Emscripten's `_malloc` starts as a stub that replaces itself with the raw export on its first call (above), which
  // would also replace a wrapper installed before that call.
  const original = heap._malloc;
  let lowest = Infinity;
  let count = 0;
  heap._malloc = (n: number) => {
    const p = original(n);
    count++;
    lowest = Math.min(lowest, p >>> 0);
    return p;
  };
  return {
    ballast,
    lowest: () => lowest,
    allocations: () => count,
    release() {
      heap._malloc = original;
      for (const p of fillers) heap._free(p);
      heap._free(ballast);
    },
  };
}
