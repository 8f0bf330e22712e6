/**
 * Our own WebAssembly SIMD kernels (simd_kernels.wat), instantiated on the wasm backend's own memory so they read
 * and write tensors where they lie. The weight gradient (filterGrad) runs on as many threads as the backend's XNNPACK
 * pool has; the memory-bound ones (blockChannels, maxPoolGrad, adamUpdate) on the calling thread.
 *
 * Why threads of our own: the backend's pthreads belong to its C++ thread pool, which we cannot submit work to.
 * Under Node, with the threaded build (a shared memory), each extra thread is a `worker_threads` Worker holding
 * its own instance of the kernel on the same memory; a job is handed over through a small SharedArrayBuffer and
 * Atomics (the calling thread blocks in `Atomics.wait` until the workers are done, as a synchronous kernel must).
 * Elsewhere (single-threaded build, browsers) the kernel runs on the calling thread only.
 */
import { Worker } from 'node:worker_threads';
import type { WasmBackend } from '../wasm-internals.js';
import { PLAIN_MEMORY_WASM, SHARED_MEMORY_WASM } from './simd_kernels.wasm.js';

/** filterGrad's 16 i32 arguments, units [u0, u1) at positions 10 and 11 (see simd_kernels.wat). */
export type FilterGradArgs = [
  number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number,
];
const ARG_COUNT = 16;
const U0 = 10;
const U1 = 11;

export interface SimdKernels {
  /** Runs filterGrad over units [0, units), split across the threads. */
  filterGrad(args: FilterGradArgs, units: number): void;
  /** The calling thread and the workers. */
  readonly threads: number;
  /**
   * blockChannels of simd_kernels.wat on the calling thread: (src, dst, rows, rowPixels, srcRow, srcPixel, dstRow,
   * blocks, blockBytes, dstPlane), addresses and strides in bytes.
   */
  blockChannels(...args: number[]): void;
  /** maxPoolGrad of simd_kernels.wat on the calling thread: (x, dy, toDx, offs, m, c, count, xstep, store), in bytes. */
  maxPoolGrad(...args: number[]): void;
  /** adamUpdate of simd_kernels.wat on the calling thread: (w, m, v, g, outW, outM, outV, n, b1, c1, b2, c2, d1, d2, eps, negLr). */
  adamUpdate(...args: number[]): void;
}

// Control block of one worker, Int32 slots: job generation (-1: exit), finished generation, error flag, the args.
const GEN = 0;
const DONE = 1;
const ERROR = 2;
const ARGS = 3;
const CONTROL_INTS = ARGS + ARG_COUNT;
/** A worker that has not finished its share within this long is taken to be lost (never expected to happen). */
const WORKER_TIMEOUT_MS = 120_000;

// CommonJS source of a worker: instantiate the kernel on the shared memory, then run jobs until told to exit.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control } = workerData;
const c = new Int32Array(control);
let run = null;
try {
  run = new WebAssembly.Instance(module, { env: { memory } }).exports.filterGrad;
} catch (e) {
  // Reported on every job below.
}
let gen = 0;
for (;;) {
  Atomics.wait(c, ${GEN}, gen);
  gen = Atomics.load(c, ${GEN});
  if (gen < 0) break;
  try {
    if (run === null) throw new Error('no kernel');
    run(${Array.from({ length: ARG_COUNT }, (_, i) => `c[${ARGS + i}]`).join(', ')});
  } catch (e) {
    Atomics.store(c, ${ERROR}, 1);
  }
  Atomics.store(c, ${DONE}, gen);
  Atomics.notify(c, ${DONE});
}
`;

const kernels = new WeakMap<WebAssembly.Memory, SimdKernels>();
/**
 * The workers of the kernel made last. tfjs keeps one wasm backend at a time; when a new one (a new memory) gets a
 * kernel, the old kernel's workers are stopped, so they do not pin the old heap (gigabytes) and their threads.
 */
let retireWorkers: (() => void) | null = null;
let disabled = false;

/**
 * Turns our SIMD kernels off (or back on); off, the weight gradient takes the XNNPACK route, MaxPoolGrad a
 * JavaScript loop and Adam's update tfjs' ops. For before/after tables.
 */
export function setSimdKernelsEnabled(on: boolean): void {
  disabled = !on;
}

/** The memory of the backend's module: ours (threaded build) or the plain build's export. */
function memoryOf(backend: WasmBackend): WebAssembly.Memory | null {
  const module = backend.wasm as unknown as { wasmMemory?: unknown; asm?: { memory?: unknown } };
  const memory = module.wasmMemory ?? module.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
}

/** The kernels on this backend's memory, or null where they cannot run (no reachable memory, or turned off). */
export function simdKernels(backend: WasmBackend): SimdKernels | null {
  if (disabled) return null;
  const memory = memoryOf(backend);
  if (memory == null) return null;
  let kernel = kernels.get(memory);
  if (kernel == null) {
    kernel = makeKernel(backend, memory);
    kernels.set(memory, kernel);
  }
  return kernel;
}

function makeKernel(backend: WasmBackend, memory: WebAssembly.Memory): SimdKernels {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const module = new WebAssembly.Module(decode(shared ? SHARED_MEMORY_WASM : PLAIN_MEMORY_WASM));
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const run = exports.filterGrad as (...args: number[]) => void;
  const blockChannels = exports.blockChannels as (...args: number[]) => void;
  const maxPoolGrad = exports.maxPoolGrad as (...args: number[]) => void;
  const adamUpdate = exports.adamUpdate as (...args: number[]) => void;
  const getThreads = (backend.wasm as unknown as { tfjs?: { getThreadsCount?: () => number } }).tfjs?.getThreadsCount;
  const threads = shared && typeof process !== 'undefined' && process.versions?.node != null ? Math.max(1, getThreads?.() ?? 1) : 1;
  let controls: Int32Array[] = [];
  const workers: Worker[] = [];
  for (let i = 1; i < threads; i++) {
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control: control.buffer } });
    // A blocked worker must not keep the process alive.
    worker.unref();
    controls.push(control);
    workers.push(worker);
  }
  retireWorkers?.();
  retireWorkers = () => {
    for (const c of controls) {
      Atomics.store(c, GEN, -1);
      Atomics.notify(c, GEN);
    }
    for (const worker of workers) void worker.terminate();
    // A kernel whose workers are gone runs on the calling thread alone.
    controls = [];
  };
  return {
    blockChannels,
    maxPoolGrad,
    adamUpdate,
    get threads() {
      return controls.length + 1;
    },
    filterGrad(args, units) {
      const threads = controls.length + 1;
      const per = Math.ceil(units / threads);
      controls.forEach((c, i) => {
        const u0 = Math.min(units, (i + 1) * per);
        const u1 = Math.min(units, u0 + per);
        for (let k = 0; k < ARG_COUNT; k++) c[ARGS + k] = args[k];
        c[ARGS + U0] = u0;
        c[ARGS + U1] = u1;
        Atomics.add(c, GEN, 1);
        Atomics.notify(c, GEN);
      });
      const own = [...args];
      own[U0] = 0;
      own[U1] = Math.min(units, per);
      run(...own);
      for (const c of controls) {
        const gen = Atomics.load(c, GEN);
        const start = Date.now();
        let done: number;
        while ((done = Atomics.load(c, DONE)) !== gen) {
          if (Atomics.wait(c, DONE, done, WORKER_TIMEOUT_MS) === 'timed-out' && Date.now() - start >= WORKER_TIMEOUT_MS) {
            throw new Error(`@db/backend: a SIMD kernel worker did not finish within ${WORKER_TIMEOUT_MS / 1000} s`);
          }
        }
        if (Atomics.exchange(c, ERROR, 0) !== 0) throw new Error('@db/backend: the SIMD weight-gradient kernel failed in a worker thread');
      }
    },
  };
}
