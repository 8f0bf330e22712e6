/**
 * Backend selection: try the TF.js backends fastest first and keep the first that loads.
 *
 * `@tensorflow/tfjs-node(-gpu)` are optional: they are imported dynamically inside try/catch, because they may be
 * absent, or present but unable to load libtensorflow (their install script downloads it; the GPU build also needs
 * CUDA 11.2 and cuDNN 8.1). A failure costs one log line, never a crash, unless the user forced that backend.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import {
  BACKEND_ORDER,
  BACKEND_PACKAGE,
  TFJS_BACKEND_NAME,
  parseBackendName,
  type BackendCandidate,
} from './candidates.js';
import { registerFileSystemRouters } from '../io/file-system.js';
import { processListeners, removeEmscriptenListenersSince } from './emscripten-listeners.js';
import { describeAdapter } from '../webgpu/probe.js';
import { activeWebGpuAdapter, loadWebGpuBackend } from '../webgpu/use-webgpu.js';
import { findGpuDeviceNodes } from '../webgpu/vulkan-loader.js';

/** Options of {@link useFastestBackend}. */
export interface UseFastestBackendOptions {
  /**
   * Use this backend (any spelling {@link parseBackendName} accepts) instead of searching; it wins over the
   * `DB_BACKEND` environment variable. If it cannot be loaded the call rejects.
   */
  force?: string;
  /** Environment to read `DB_BACKEND` from. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Receives one line per decision. Default: `console.info`. Pass `() => {}` to silence. */
  log?: (line: string) => void;
  /** Dynamic import used to load backend packages (injectable for tests). Default: `import(specifier)`. */
  importModule?: (specifier: string) => Promise<unknown>;
  /**
   * Threads for the wasm backend's XNNPACK pool under Node (`useThreadedWasm`); 1 keeps upstream's
   * single-threaded binary, 0 means every core. Default: the `DB_WASM_THREADS` environment variable, else every
   * core (`os.availableParallelism()`). Two threads trained CustomNet 1.4-1.7x faster than one on an idle 2-core
   * machine; on a machine whose cores are busy with other work the second thread waits and one is faster, so set
   * `DB_WASM_THREADS=1` there.
   */
  wasmThreads?: number;
}

/** A candidate that was tried (or skipped) and why it was not used. */
export interface SkippedBackend {
  candidate: BackendCandidate;
  /** One line, e.g. `not installed` or the first line of the native loader's error. */
  reason: string;
}

/** What {@link useFastestBackend} chose. */
export interface BackendChoice {
  candidate: BackendCandidate;
  /** The active TF.js backend name (`tf.getBackend()`). */
  backendName: string;
  /** True when the choice came from `force` or `DB_BACKEND` rather than the search. */
  forced: boolean;
  /** Faster candidates that were unavailable, in order, with their reasons. */
  skipped: SkippedBackend[];
}

/** Logical cores this process may use (Node 18.14+ `availableParallelism`, else the CPU count). */
function coreCount(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

function parseThreads(value: string | undefined): number {
  if (value == null || value.trim() === '') return coreCount();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`DB_WASM_THREADS must be a non-negative integer, got '${value}'`);
  return n === 0 ? coreCount() : n;
}

/**
 * The wasm thread count {@link useFastestBackend} uses: `wasmThreads` if given, else `DB_WASM_THREADS`, else every
 * core; 0 means every core.
 * @internal
 */
export function resolveWasmThreads(
  wasmThreads: number | undefined,
  env: Readonly<Record<string, string | undefined>>,
): number {
  if (wasmThreads === undefined) return parseThreads(env.DB_WASM_THREADS);
  if (!Number.isInteger(wasmThreads) || wasmThreads < 0) {
    throw new RangeError(`options.wasmThreads must be a non-negative integer, got ${wasmThreads}`);
  }
  return wasmThreads === 0 ? coreCount() : wasmThreads;
}

const defaultImport = (specifier: string): Promise<unknown> => import(specifier);

/** The first line of an error's message, trimmed to something that fits on a log line. */
export function oneLineReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(message)) {
    return 'not installed';
  }
  const first = message.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? 'unknown error';
  return first.length > 160 ? `${first.slice(0, 157)}...` : first;
}

async function tryCandidate(
  candidate: BackendCandidate,
  importModule: (specifier: string) => Promise<unknown>,
  wasmThreads: number,
  forced = false,
): Promise<string | null> {
  const listeners = processListeners();
  try {
    // A forced webgpu also takes a software adapter (lavapipe / SwiftShader: for tests); the search wants hardware.
    if (candidate === 'webgpu') {
      // The search wants a hardware adapter, which needs a GPU device node; without one, asking Dawn would only
      // load the installed Vulkan drivers, whose start-up writes errors to stderr on a machine that is fine (issue
      // 20). A stand-in importModule (tests) is not Dawn: its adapters are what it says.
      if (!forced && importModule === defaultImport && findGpuDeviceNodes().length === 0) {
        return 'no GPU (no /dev/nvidia*, /dev/dri/renderD* or /dev/dxg device)';
      }
      return await loadWebGpuBackend(importModule, forced);
    }
    await importModule(BACKEND_PACKAGE[candidate]);
    if (candidate === 'wasm') {
      const { registerWasmTrainingKernels } = await import('../kernels/register.js');
      registerWasmTrainingKernels();
      if (wasmThreads > 1) {
        const { useThreadedWasm } = await import('../threads/threaded-wasm.js');
        useThreadedWasm({ threads: wasmThreads });
      }
    }
    const name = TFJS_BACKEND_NAME[candidate];
    if (tf.findBackendFactory(name) == null) return `loaded, but registered no '${name}' backend`;
    const ok = await tf.setBackend(name);
    if (!ok) return `the '${name}' backend failed to initialise`;
    // model.save('file://...') / loadLayersModel('file://...'): tfjs-node registers its own handlers when it loads;
    // on wasm and cpu nothing does, so ours are registered wherever none exists.
    registerFileSystemRouters();
    return null;
  } catch (error) {
    return oneLineReason(error);
  } finally {
    // Upstream's wasm loader leaves Emscripten's rethrowing listeners too (single-threaded binary; the threaded
    // path removes its own): without this, an uncaught error prints 39 KB of glue first and exits with code 7.
    removeEmscriptenListenersSince(listeners);
  }
}

function describe(candidate: BackendCandidate, wasmThreads: number): string {
  switch (candidate) {
    case 'node-gpu':
      return 'tensorflow (tfjs-node-gpu, libtensorflow with CUDA)';
    case 'webgpu': {
      const adapter = activeWebGpuAdapter();
      return `webgpu (Dawn on ${adapter == null ? 'an unknown adapter' : describeAdapter(adapter)})`;
    }
    case 'node':
      return 'tensorflow (tfjs-node, libtensorflow on the CPU)';
    case 'wasm':
      return wasmThreads > 1
        ? `wasm (XNNPACK, ${wasmThreads} threads, with @db/backend training kernels)`
        : 'wasm (XNNPACK, with @db/backend training kernels)';
    case 'cpu':
      return 'cpu (pure JavaScript; slow for conv nets)';
  }
}

/**
 * Selects the fastest TF.js backend that loads: tfjs-node-gpu, webgpu (hardware adapters only), tfjs-node, wasm (with
 * {@link registerWasmTrainingKernels}), cpu. Logs one line naming the choice and one line per faster backend that
 * was unavailable, with the reason. `DB_BACKEND=wasm|cpu|tensorflow|node-gpu|...` (or `options.force`) skips the
 * search; a forced backend that fails to load rejects with an error naming it. `DB_WASM_THREADS=2` (or
 * `options.wasmThreads`) sets the wasm backend's thread count (default: every core; 1: upstream's single-threaded
 * binary). Also registers `file://` save and load handlers ({@link registerFileSystemRouters}) when the chosen
 * backend's package brought none (tfjs-node brings its own).
 *
 * @example
 * ```ts
 * import { useFastestBackend } from '@db/backend';
 * const choice = await useFastestBackend();   // "@db/backend: using wasm (...)"
 * console.log(choice.backendName);            // 'wasm'
 * ```
 */
export async function useFastestBackend(options: UseFastestBackendOptions = {}): Promise<BackendChoice> {
  const log = options.log ?? ((line: string) => console.info(line));
  const importModule = options.importModule ?? defaultImport;
  const env = options.env ?? (typeof process !== 'undefined' ? process.env : {});
  const wasmThreads = resolveWasmThreads(options.wasmThreads, env);

  let forcedSource: string | null = null;
  let forced: BackendCandidate | null = null;
  if (options.force != null) {
    forced = parseBackendName(options.force, 'options.force');
    forcedSource = 'options.force';
  } else if (env.DB_BACKEND != null && env.DB_BACKEND.trim() !== '') {
    forced = parseBackendName(env.DB_BACKEND, 'DB_BACKEND');
    forcedSource = `DB_BACKEND=${env.DB_BACKEND}`;
  }

  if (forced != null) {
    const failure = await tryCandidate(forced, importModule, wasmThreads, true);
    if (failure != null) {
      throw new Error(`@db/backend: ${forcedSource} asks for ${BACKEND_PACKAGE[forced]}, which failed: ${failure}`);
    }
    log(`@db/backend: using ${describe(forced, wasmThreads)}, forced by ${forcedSource}`);
    return { candidate: forced, backendName: tf.getBackend(), forced: true, skipped: [] };
  }

  const skipped: SkippedBackend[] = [];
  for (const candidate of BACKEND_ORDER) {
    const failure = await tryCandidate(candidate, importModule, wasmThreads);
    if (failure == null) {
      log(`@db/backend: using ${describe(candidate, wasmThreads)}`);
      for (const s of skipped) log(`@db/backend:   skipped ${BACKEND_PACKAGE[s.candidate]}: ${s.reason}`);
      return { candidate, backendName: tf.getBackend(), forced: false, skipped };
    }
    skipped.push({ candidate, reason: failure });
  }
  const reasons = skipped.map((s) => `${s.candidate}: ${s.reason}`).join('; ');
  throw new Error(`@db/backend: no TF.js backend could be loaded (${reasons})`);
}
