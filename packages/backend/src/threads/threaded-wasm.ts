/**
 * The wasm backend's multi-threaded SIMD binary under Node (worker_threads as Emscripten pthreads).
 *
 * Upstream switches threads off under Node (flags_wasm.ts: WASM_HAS_MULTITHREAD_SUPPORT is false when IS_NODE,
 * tensorflow/tfjs#3830), and its loader could not run them there anyway: it hands Emscripten the pthread worker
 * script and the main script as Blob object URLs, which Node's worker_threads.Worker cannot start and the worker's
 * Node shim (importScripts = eval of fs.readFileSync) cannot read. Node itself has everything the binary needs
 * (shared WebAssembly.Memory, Atomics, worker_threads), so this module loads the same shipped
 * tfjs-backend-wasm-threaded-simd.{js,wasm} itself with file paths instead of Blobs:
 * - the pthread worker script (shipped as a string, `wasmWorkerContents`) starts from that string
 *   (`worker_threads.Worker` with `eval: true`), never from a file: an earlier version wrote it to
 *   `<tmpdir>/db-backend-wasm/` and ran whatever file already sat there, so on a shared machine another user could
 *   plant code that every pthread worker ran (issue 8, item 3);
 * - `mainScriptUrlOrBlob` is the path of the shipped Emscripten glue (inside the installed package), which the
 *   worker evaluates;
 * then it builds the stock `BackendWasm` on that module after `setThreadsCount(n)`, and registers it as the 'wasm'
 * backend, so every wasm kernel (upstream's and this package's) runs on it unchanged.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { engine, registerBackend, removeBackend } from '@tensorflow/tfjs-core';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { processListeners, removeEmscriptenListenersSince } from '../select/emscripten-listeners.js';
import { guardWasmHeap } from '../memory/heap-guard.js';

const require = createRequire(import.meta.url);

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  PThread?: { terminateAllThreads(): void; unusedWorkers: unknown[]; runningWorkers: unknown[] };
  tfjs?: Record<string, unknown>;
  /** The shared memory the module imports, kept so our own SIMD kernels can run on the same heap. */
  wasmMemory?: WebAssembly.Memory;
}
type Factory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

/** Paths of the shipped threaded artifacts (wasm-out/ inside @tensorflow/tfjs-backend-wasm). */
function artifacts(): { glue: string; wasm: string; workerContents: string } {
  const pkgDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const glue = join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const wasm = join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.wasm');
  const { wasmWorkerContents } = require(join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  return { glue, wasm, workerContents: wasmWorkerContents };
}

/**
 * What `locateFile` answers for the pthread worker script: not a path, a name our pinned Worker class recognises and
 * starts from the shipped source string instead (see {@link pinNodeWorker}). Nothing is read from or written to disk.
 */
const PTHREAD_WORKER_NAME = 'db-backend:pthread-worker.js';

/**
 * The pthread worker's source, set before the glue first spawns workers. On globalThis, beside the pinned Worker
 * class it serves, so a second copy of this module (ESM build and sources in one process) finds it too.
 */
const WORKER_SOURCE = Symbol.for('@db/backend.pthreadWorkerSource');
const slots = globalThis as unknown as Record<symbol, string | undefined>;

/**
 * Emscripten's Node glue does `global.Worker = require('worker_threads').Worker` and then `new Worker(script)`.
 * `script` is what locateFile gave: {@link PTHREAD_WORKER_NAME}, which this class starts from the source string in
 * memory (`eval: true`; Node runs it as a CommonJS script with `require` and `__filename`, all the shim needs).
 * A worker inherits the parent's execArgv, i.e. any loader hooks (tsx, vitest), which then try to transpile the
 * plain-CJS pthread script and fail. We pin global.Worker to a subclass that starts workers without them and
 * unrefs them; the glue's own assignment is ignored (the property has a no-op setter). Process-wide, but only the
 * glue uses it.
 */
function pinNodeWorker(): void {
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  const current = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  if (current?.get != null && (current.get as unknown as Record<string, boolean>).dbPinned) return;
  class PlainWorker extends Worker {
    constructor(filename: string | URL, options: import('node:worker_threads').WorkerOptions = {}) {
      if (filename === PTHREAD_WORKER_NAME) {
        const source = slots[WORKER_SOURCE];
        if (source == null) throw new Error('useThreadedWasm: a pthread worker was started before its source was set');
        super(source, { ...options, eval: true, execArgv: [] });
      } else {
        super(filename, { ...options, execArgv: [] });
      }
      // Pool threads idle between kernels (the main thread waits on them with Atomics while they work), so they
      // must not keep the process alive: without this a script that trained on threaded wasm never exits.
      this.unref();
    }

    /** Emscripten's glue ref()s a worker whenever it starts a pthread (XNNPACK's pool threads never end): no-op. */
    override ref(): void {}
  }
  const get = () => PlainWorker;
  (get as unknown as Record<string, boolean>).dbPinned = true;
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get, set: () => undefined });
}

/**
 * Instantiates the threaded SIMD module with a pool of Node worker_threads, able to run `threads` threads.
 *
 * The C++ side sizes XNNPACK's pool as min(requested, 8, emscripten_num_logical_cores() / 2) (backend.cc: it
 * assumes two hyper-threads per core), and under Node that import returns os.cpus().length: on a 2-vCPU machine
 * the cap is 1 whatever setThreadsCount asks. We instantiate the binary ourselves (Emscripten's instantiateWasm
 * hook) with that import reporting 2 * threads, so the request is honoured up to the 8 pre-spawned workers.
 */
export async function instantiateThreadedWasm(threads: number): Promise<EmscriptenModule> {
  const { glue, wasm, workerContents } = artifacts();
  // The shipped string came out of a template literal that turned the `\n` escapes inside its string literals into
  // real newlines (a syntax error in a file); upstream re-escapes them the same way before making its Blob.
  slots[WORKER_SOURCE] = workerContents.replace(/\n/g, '\\n');
  pinNodeWorker();
  const listenersBefore = processListeners();
  const factory = require(glue) as Factory;
  const binary = readFileSync(wasm);
  // Emscripten's ready promise never settles if instantiateWasm's instantiation fails: race it with our own.
  let fail: (e: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  let memory: WebAssembly.Memory | undefined;
  const ready = factory({
    locateFile: (path: string) => (path.endsWith('.worker.js') ? PTHREAD_WORKER_NAME : path.endsWith('.wasm') ? wasm : path),
    mainScriptUrlOrBlob: glue,
    instantiateWasm: (
      imports: { env: Record<string, unknown> },
      receiveInstance: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ) => {
      imports.env.emscripten_num_logical_cores = () => 2 * threads;
      memory = imports.env.memory as WebAssembly.Memory;
      WebAssembly.instantiate(binary, imports as unknown as WebAssembly.Imports).then(
        ({ instance, module }) => receiveInstance(instance, module),
        (e: unknown) => fail(new Error(`useThreadedWasm: cannot instantiate ${wasm}: ${String(e)}`)),
      );
      return {};
    },
  });
  // The glue's rethrowing process listeners put its 55 KB source line before every uncaught error (see there).
  removeEmscriptenListenersSince(listenersBefore);
  const module = await Promise.race([ready, failed]);
  module.wasmMemory = memory;
  // The JS <-> C bridge upstream's init() attaches (backend_wasm.ts), needed by BackendWasm.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return module;
}

/** Options of {@link useThreadedWasm}. */
export interface ThreadedWasmOptions {
  /**
   * Threads of XNNPACK's pool (the calling thread included); 0 or absent: all logical cores. At most 8 take effect
   * (the binary pre-spawns 8 pthread workers and backend.cc caps its pool there).
   */
  threads?: number;
}

/**
 * Replaces the registered 'wasm' backend factory with one that runs the multi-threaded SIMD binary under Node
 * with `threads` threads. Call before the wasm backend is first initialised (before `tf.setBackend('wasm')`); if
 * it already was, that instance is disposed and re-created on the next `setBackend('wasm')`.
 */
export function useThreadedWasm(options: ThreadedWasmOptions = {}): void {
  const threads = options.threads ?? 0;
  if (!Number.isInteger(threads) || threads < 0) {
    throw new Error(`useThreadedWasm: threads must be a non-negative integer (0 = all cores), got ${options.threads}`);
  }
  if (typeof process === 'undefined' || process.versions?.node == null) {
    throw new Error('useThreadedWasm: Node only (in browsers upstream tfjs-backend-wasm already uses threads)');
  }
  const priority = engine().registryFactory.wasm?.priority ?? 2;
  removeBackend('wasm');
  registerBackend(
    'wasm',
    async () => {
      const count = threads === 0 ? cpus().length : threads;
      const module = await instantiateThreadedWasm(count);
      // BackendWasm's constructor passes the module-level threads count to init_with_threads_count.
      setThreadsCount(count);
      const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
      // A tensor that does not fit the heap throws a named error instead of landing at address 0 (issue 19 item 2).
      guardWasmHeap(backend);
      return backend;
    },
    priority,
  );
}
