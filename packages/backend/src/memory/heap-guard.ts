/**
 * Fail fast at the wasm heap's end (issue 19 item 2).
 *
 * The wasm heap is one 32-bit linear memory: at most 4 GiB - 64 KiB (Emscripten's getHeapMax(), 4,294,901,760
 * bytes, in both shipped binaries). tfjs-backend-wasm gives every tensor its own `_malloc` (backend_wasm.ts,
 * `write`: `const memoryOffset = this.wasm._malloc(numBytes) >>> 0`) and never checks the result. The binaries are
 * built with memory growth, where Emscripten's malloc does not abort when sbrk cannot grow the memory
 * (`emscripten_resize_heap` returns false past getHeapMax): it returns 0 (threaded binary), or, in the
 * single-threaded binary, whose sbrk misses the 32-bit wrap of brk + increment, the old top of the heap with the
 * chunk running past the end of linear memory. The backend then registers the tensor there and the kernel writes
 * its output over the start of linear memory (Emscripten's static data, the allocator's state, XNNPACK's thread
 * pool) or past its end. Measured here (a 400 MB tensor asked of a heap 3.9 GB full): "memory access out of
 * bounds" 10-12 s later after writing over it, or "offset is out of bounds"; on the threaded binary the
 * overwritten pool and futex state can leave the main thread waiting forever (issue 19: 7 minutes at 100% of a
 * core until killed).
 *
 * The guard wraps the module's `_malloc` on each wasm backend instance: a request of n > 0 bytes that comes back
 * as 0 throws {@link WasmHeapExhaustedError} before anything is written, naming the heap's size, the request (the
 * tensor's shape and dtype, from the backend's `write`) and what to lower. The engine's scopes end on the
 * exception (tf.tidy, the gradient tape, optimizer.minimize, model.fit all unwind through try/finally), so the
 * step's tensors are freed and the process can go on with a smaller batch.
 *
 * Not covered: allocations made inside C++ (XNNPACK's operator workspaces, a few MB at most next to the tensors
 * they serve) go through the same malloc but do not pass through JS; they come after the kernel's output tensor,
 * which is where a training step runs out in practice (activations and their gradients are tensors).
 */
import { engine, type KernelBackend } from '@tensorflow/tfjs-core';

/** Emscripten's getHeapMax() in tfjs-backend-wasm's binaries: 4 GiB less one 64 KiB page. */
export const WASM_HEAP_MAX_BYTES = 4_294_901_760;

const GUARDED = Symbol.for('@db/backend.heapGuard');
const MIB = 1024 * 1024;

/** Thrown when a tensor cannot be allocated on the wasm heap. */
export class WasmHeapExhaustedError extends Error {
  override name = 'WasmHeapExhaustedError';
  constructor(
    /** Bytes requested. */
    readonly requestedBytes: number,
    /** Size of the heap when the request failed, bytes. */
    readonly heapBytes: number,
    /** Bytes held by live tensors (tfjs' count), and how many tensors. */
    readonly tensorBytes: number,
    readonly numTensors: number,
    /** The tensor asked for, when known. */
    readonly tensor?: { shape: number[]; dtype: string },
  ) {
    super(WasmHeapExhaustedError.describe(requestedBytes, heapBytes, tensorBytes, numTensors, tensor));
  }

  static describe(
    requested: number,
    heap: number,
    tensorBytes: number,
    numTensors: number,
    tensor?: { shape: number[]; dtype: string },
  ): string {
    const mib = (b: number) => `${(b / MIB).toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 })} MiB`;
    const what = tensor == null ? 'an allocation' : `a ${tensor.dtype} tensor of shape [${tensor.shape.join(', ')}]`;
    const where =
      heap >= WASM_HEAP_MAX_BYTES - 64 * 1024
        ? `the wasm heap is at ${mib(heap)}, its 32-bit maximum`
        : `the wasm heap is ${mib(heap)} and cannot grow by that much (its 32-bit maximum is ${mib(WASM_HEAP_MAX_BYTES)})`;
    return (
      `@db/backend: out of wasm memory: ${what} needs ${requested.toLocaleString('en-US')} bytes (${mib(requested)}) ` +
      `and ${where}; live tensors hold ${mib(tensorBytes)} (${numTensors.toLocaleString('en-US')} tensors). ` +
      'Lower the batch size or the input size (image side), or train a smaller model; the heap cannot grow past 4 GiB ' +
      'in one process.'
    );
  }
}

interface GuardableModule {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAPU8: Uint8Array;
}
interface GuardableBackend {
  wasm: GuardableModule;
  write(values: unknown, shape: number[], dtype: string): object;
}

function isWasmBackend(backend: unknown): backend is GuardableBackend {
  const b = backend as Partial<GuardableBackend> | null;
  return b != null && typeof b.write === 'function' && typeof b.wasm?._malloc === 'function' && b.wasm.HEAPU8 != null;
}

/** Installs the guard on one wasm backend instance (see the module comment). Idempotent; other backends: no-op. */
export function guardWasmHeap(backend: KernelBackend | unknown): void {
  if (!isWasmBackend(backend)) return;
  const module = backend.wasm as GuardableModule & Record<symbol, boolean>;
  if (module[GUARDED]) return;
  // Emscripten's `_malloc` starts as a stub that replaces itself (Module._malloc = the raw export) on first call,
  // which would also replace a wrapper installed before that call: settle it first.
  module._free(module._malloc(8));
  const malloc = module._malloc;
  let pending: { shape: number[]; dtype: string } | undefined;
  module._malloc = (bytes: number) => {
    const ptr = malloc(bytes) >>> 0;
    // The single-threaded binary's sbrk misses the 32-bit wrap of brk + increment: a request that would end past
    // 4 GiB "succeeds" at the old top without growing the heap (a 400 MB request at 3.9 GB). Such a chunk lies
    // (partly) outside linear memory; freeing it merges it back into the top chunk, as before the call.
    const outside = ptr !== 0 && ptr + bytes > module.HEAPU8.length;
    if (outside) module._free(ptr);
    if ((ptr === 0 || outside) && bytes > 0) {
      const memory = engine().memory();
      throw new WasmHeapExhaustedError(bytes >>> 0, module.HEAPU8.length, memory.numBytes, memory.numTensors, pending);
    }
    return ptr;
  };
  const write = backend.write;
  backend.write = function (this: GuardableBackend, values: unknown, shape: number[], dtype: string) {
    const before = pending;
    pending = { shape: [...shape], dtype };
    try {
      return write.call(this, values, shape, dtype);
    } finally {
      pending = before;
    }
  };
  module[GUARDED] = true;
}

const WRAPPED = Symbol.for('@db/backend.heapGuardFactory');

/**
 * Guards the 'wasm' backend: the instance if it is already initialised, and every instance its registered factory
 * makes from now on. Idempotent. A factory registered later (useThreadedWasm) guards its instances itself.
 */
export function installWasmHeapGuard(): void {
  const e = engine() as unknown as {
    registry: Record<string, KernelBackend | undefined>;
    registryFactory: Record<string, { factory: () => KernelBackend | Promise<KernelBackend>; priority: number } | undefined>;
  };
  const existing = e.registry.wasm;
  if (existing != null) guardWasmHeap(existing);
  const entry = e.registryFactory.wasm;
  if (entry == null || (entry.factory as unknown as Record<symbol, boolean>)[WRAPPED]) return;
  const factory = entry.factory;
  const guarded = async () => {
    const backend = await factory();
    guardWasmHeap(backend);
    return backend;
  };
  (guarded as unknown as Record<symbol, boolean>)[WRAPPED] = true;
  entry.factory = guarded;
}
