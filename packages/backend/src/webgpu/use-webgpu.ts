/**
 * The `webgpu` candidate of {@link useFastestBackend}: `@tensorflow/tfjs-backend-webgpu` running on Dawn's Node
 * binding (npm `webgpu`), which drives the GPU through its Vulkan driver. Nothing is downloaded at install time
 * (the binding ships a prebuilt `dawn.node`), unlike tfjs-node-gpu's libtensorflow + CUDA 11.2.
 *
 * Only a hardware adapter is used by the search: on a software Vulkan driver (lavapipe, SwiftShader) the wasm
 * backend is much faster. Forcing `DB_BACKEND=webgpu` accepts a software adapter too (that is how CI tests it).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeAdapter, probeWebGpuAdapter, type GpuAdapterLike, type GpuDeviceLike, type WebGpuAdapterSummary } from './probe.js';
import { registerWebGpuTrainingKernels } from './kernels/index.js';

/** The npm package with the TF.js backend. */
export const TFJS_WEBGPU_PACKAGE = '@tensorflow/tfjs-backend-webgpu';

/** The export of `@tensorflow/tfjs-backend-webgpu` used here (the constructor its own factory calls). */
type WebGpuBackendCtor = new (device: GpuDeviceLike, adapterInfo?: unknown) => tf.KernelBackend;

/** What is live while the webgpu backend is in use, to release at exit. */
interface ActiveWebGpu {
  device: GpuDeviceLike;
  summary: WebGpuAdapterSummary;
}

let active: ActiveWebGpu | null = null;
let exitHooked = false;

/** The adapter the `webgpu` backend runs on, once `useFastestBackend` loaded it (search or forced); else null. */
export function activeWebGpuAdapter(): WebGpuAdapterSummary | null {
  return active?.summary ?? null;
}

/**
 * Makes `navigator.gpu` and the WebGPU constants (`GPUBufferUsage`, `GPUMapMode`, ...) global, as the tfjs webgpu
 * backend expects from a browser. Existing globals are kept (Node 21+ has its own `navigator`, without `gpu`).
 */
function installGlobals(globals: Record<string, unknown>, gpu: unknown): void {
  const g = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(globals)) if (!(name in g)) g[name] = value;
  const nav = (g.navigator ?? {}) as Record<string, unknown>;
  if (nav.gpu == null) {
    Object.defineProperty(globalThis, 'navigator', { value: Object.assign(Object.create(nav), { gpu }), configurable: true, writable: true });
  }
}

/**
 * The device limits tfjs' own factory asks for (the adapter's maxima for storage buffers and workgroups), so that
 * large activations fit; features only where the adapter has them.
 */
async function requestDevice(adapter: GpuAdapterLike): Promise<GpuDeviceLike> {
  const l = adapter.limits;
  const requiredLimits: Record<string, number> = {};
  for (const name of [
    'maxComputeWorkgroupStorageSize',
    'maxComputeWorkgroupsPerDimension',
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxComputeWorkgroupSizeX',
    'maxComputeInvocationsPerWorkgroup',
  ]) {
    if (typeof l[name] === 'number') requiredLimits[name] = l[name];
  }
  const requiredFeatures = ['timestamp-query'].filter((f) => adapter.features.has(f));
  return adapter.requestDevice({ requiredLimits, requiredFeatures });
}

/**
 * Releases the device at exit: a live Dawn device can keep Node's event loop running, so a script that trained
 * on webgpu would never end. `beforeExit` runs when the loop would otherwise empty; `exit` covers process.exit().
 */
function releaseAtExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const release = () => {
    if (active == null) return;
    const { device } = active;
    active = null;
    try {
      if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
    } catch {
      // Disposing the backend is best effort at exit; the device is destroyed below regardless.
    }
    device.destroy();
  };
  process.on('beforeExit', release);
  process.on('exit', release);
}

/** The message of a synchronous read on webgpu under Node. */
export const WEBGPU_READ_SYNC_MESSAGE =
  'the webgpu backend cannot read tensor data synchronously under Node (dataSync / arraySync / bufferSync need ' +
  'OffscreenCanvas, a browser API): use await tensor.data() or await tensor.array()';

/**
 * tfjs' webgpu readSync copies through OffscreenCanvas, which Node lacks: a dataSync() would fail with
 * "OffscreenCanvas is not defined". Replace that by an error saying what to do instead. Values already on the CPU
 * (uploaded and not yet used on the device) still read synchronously.
 */
function withClearReadSyncError(backend: tf.KernelBackend): tf.KernelBackend {
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId: object) => {
    try {
      return readSync(dataId);
    } catch (error) {
      if (error instanceof ReferenceError && /OffscreenCanvas/.test(error.message)) throw new Error(WEBGPU_READ_SYNC_MESSAGE);
      throw error;
    }
  };
  return backend;
}

/**
 * Loads Dawn and the tfjs webgpu backend, checks the adapter and makes `webgpu` the active TF.js backend with this
 * package's webgpu training kernels. Resolves to null on success, else to a one-line reason (never throws):
 * no adapter, a software adapter when `acceptSoftware` is false, or a load failure.
 */
export async function loadWebGpuBackend(
  importModule: (specifier: string) => Promise<unknown>,
  acceptSoftware: boolean,
): Promise<string | null> {
  if (active != null && tf.findBackend('webgpu') != null) {
    if (active.summary.software && !acceptSoftware) return `only a software adapter: ${describeAdapter(active.summary)}`;
    return (await tf.setBackend('webgpu')) ? null : "the 'webgpu' backend failed to initialise";
  }
  // Without a Vulkan loader Dawn prints a native warning to stderr on every start; a search (not a forced webgpu)
  // skips it with the reason in the log line instead.
  const probed = await probeWebGpuAdapter(importModule, { requireVulkanLoader: !acceptSoftware });
  if ('reason' in probed) return probed.reason;
  const { dawn, gpu, adapter, summary } = probed;
  if (summary.software && !acceptSoftware) {
    return `only a software adapter: ${describeAdapter(summary)} (DB_BACKEND=webgpu uses it anyway)`;
  }
  installGlobals(dawn.globals, gpu);
  const mod = (await importModule(TFJS_WEBGPU_PACKAGE)) as { WebGPUBackend?: WebGpuBackendCtor };
  if (typeof mod.WebGPUBackend !== 'function') return `${TFJS_WEBGPU_PACKAGE} loaded but exports no WebGPUBackend`;
  const WebGPUBackend = mod.WebGPUBackend;
  const device = await requestDevice(adapter);
  // Replace the package's own factory (which asks navigator.gpu for an adapter again) by one on the device checked
  // above, so the backend runs on exactly the adapter the log line names.
  if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => withClearReadSyncError(new WebGPUBackend(device, adapter.info)), 3);
  registerWebGpuTrainingKernels();
  active = { device, summary };
  releaseAtExit();
  return (await tf.setBackend('webgpu')) ? null : "the 'webgpu' backend failed to initialise";
}
