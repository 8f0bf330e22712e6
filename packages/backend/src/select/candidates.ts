/**
 * The TF.js backends {@link useFastestBackend} considers, fastest first, and the names a user may force one with.
 */

/**
 * A backend candidate: `node-gpu` is `@tensorflow/tfjs-node-gpu` (libtensorflow with CUDA), `webgpu` is
 * `@tensorflow/tfjs-backend-webgpu` on Dawn (npm `webgpu`, the GPU's Vulkan driver; hardware adapters only), `node` is
 * `@tensorflow/tfjs-node` (libtensorflow on the CPU), `wasm` is `@tensorflow/tfjs-backend-wasm` (XNNPACK) with this
 * package's training kernels, `cpu` is the pure-JavaScript backend.
 */
export type BackendCandidate = 'node-gpu' | 'webgpu' | 'node' | 'wasm' | 'cpu';

/** The order {@link useFastestBackend} tries candidates in: fastest first. */
export const BACKEND_ORDER: readonly BackendCandidate[] = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'];

/** The TF.js backend name each candidate registers (both libtensorflow bindings call theirs `tensorflow`). */
export const TFJS_BACKEND_NAME: Readonly<Record<BackendCandidate, 'tensorflow' | 'webgpu' | 'wasm' | 'cpu'>> = {
  'node-gpu': 'tensorflow',
  webgpu: 'webgpu',
  node: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

/** The npm package that provides each candidate. */
export const BACKEND_PACKAGE: Readonly<Record<BackendCandidate, string>> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  node: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

const ALIASES: Readonly<Record<string, BackendCandidate>> = {
  'node-gpu': 'node-gpu',
  gpu: 'node-gpu',
  'tfjs-node-gpu': 'node-gpu',
  'tensorflow-gpu': 'node-gpu',
  webgpu: 'webgpu',
  'tfjs-backend-webgpu': 'webgpu',
  node: 'node',
  tensorflow: 'node',
  'tfjs-node': 'node',
  wasm: 'wasm',
  cpu: 'cpu',
};

/** Accepted spellings for forcing a backend (`DB_BACKEND=...` or the `force` option). */
export const BACKEND_ALIASES: readonly string[] = Object.keys(ALIASES);

/**
 * Maps a user-given backend name (case-insensitive; e.g. `wasm`, `cpu`, `tensorflow`, `tfjs-node-gpu`) to a
 * candidate. `source` names where the value came from, for the error message.
 */
export function parseBackendName(value: string, source: string): BackendCandidate {
  const key = value.trim().toLowerCase();
  const candidate = ALIASES[key];
  if (candidate === undefined) {
    throw new RangeError(`${source} must be one of ${BACKEND_ALIASES.join(', ')}; got '${value}'`);
  }
  return candidate;
}
