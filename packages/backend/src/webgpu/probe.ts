/**
 * Finds the WebGPU adapter Dawn offers under Node (npm package `webgpu`: Dawn's Node binding, a prebuilt
 * `dawn.node` that talks to the machine's Vulkan driver) and says whether it is real hardware.
 *
 * Both `webgpu` and `@tensorflow/tfjs-backend-webgpu` are optional dependencies: they are imported dynamically, and
 * every failure becomes a one-line reason, never a crash (the caller decides whether that is an error).
 */

import { findVulkanLoader } from './vulkan-loader.js';

/** The adapter facts the log line and the hardware test read (WebGPU `GPUAdapterInfo`, spec section 4.2.1). */
export interface WebGpuAdapterSummary {
  /** e.g. `nvidia`, `mesa`, `google`. */
  vendor: string;
  /** e.g. `ampere`, `hopper`; `software` for CPU rasterisers such as lavapipe and SwiftShader. */
  architecture: string;
  /** The driver's own description, e.g. `NVIDIA H100 80GB HBM3` or `llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)`. */
  description: string;
  /** True for a software (CPU) implementation: `isFallbackAdapter` set or architecture `software`. */
  software: boolean;
}

/** The parts of Dawn's `GPUAdapterInfo` read here (older Dawn builds put `isFallbackAdapter` on the adapter). */
interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  description?: string;
  device?: string;
  isFallbackAdapter?: boolean;
}

/** The parts of a WebGPU adapter / device / `GPU` object this package touches. */
export interface GpuAdapterLike {
  info?: AdapterInfoLike;
  isFallbackAdapter?: boolean;
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  requestDevice(descriptor?: unknown): Promise<GpuDeviceLike>;
}
/** A WebGPU device as far as this package uses it. */
export interface GpuDeviceLike {
  destroy(): void;
}
/** `navigator.gpu` as far as this package uses it. */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}
/** The exports of the npm package `webgpu` this package uses. */
export interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

/** The npm package with Dawn's Node binding. */
export const DAWN_PACKAGE = 'webgpu';

/** Reads the adapter's facts; `software` follows the brief of issue 12: fallback adapter or `software` architecture. */
export function summarizeAdapter(adapter: GpuAdapterLike): WebGpuAdapterSummary {
  const info: AdapterInfoLike = adapter.info ?? {};
  const architecture = info.architecture ?? '';
  const fallback = info.isFallbackAdapter === true || adapter.isFallbackAdapter === true;
  return {
    vendor: info.vendor || 'unknown vendor',
    architecture: architecture || 'unknown architecture',
    description: info.description || info.device || 'no description',
    software: fallback || architecture.toLowerCase() === 'software',
  };
}

/** `vendor architecture, description` for the log line, e.g. `nvidia hopper, NVIDIA H200`. */
export function describeAdapter(summary: WebGpuAdapterSummary): string {
  return `${summary.vendor} ${summary.architecture}, ${summary.description}`;
}

/** An adapter Dawn found, with the `GPU` object it came from (kept so it can be released at exit). */
export interface ProbedAdapter {
  dawn: DawnModule;
  gpu: GpuLike;
  adapter: GpuAdapterLike;
  summary: WebGpuAdapterSummary;
}

/**
 * Loads Dawn and asks it for a high-performance adapter. Resolves to the adapter, or to a one-line reason when
 * there is none (package absent, no Vulkan loader or driver). Software adapters are returned too: the caller
 * decides (`summary.software`).
 */
export async function probeWebGpuAdapter(
  importModule: (specifier: string) => Promise<unknown>,
  options: { requireVulkanLoader?: boolean } = {},
): Promise<ProbedAdapter | { reason: string }> {
  const dawn = (await importModule(DAWN_PACKAGE)) as Partial<DawnModule> & { default?: Partial<DawnModule> };
  const mod = typeof dawn.create === 'function' ? dawn : dawn.default;
  if (mod == null || typeof mod.create !== 'function' || mod.globals == null) {
    return { reason: `'${DAWN_PACKAGE}' loaded but has no create()/globals (expected webgpu 0.6.x)` };
  }
  // Dawn prints a native warning (which no JavaScript can catch) when it cannot load the Vulkan loader: look first.
  if (options.requireVulkanLoader && findVulkanLoader() == null) {
    return { reason: 'no Vulkan loader (libvulkan.so.1) found: Dawn needs one (the NVIDIA driver or the libvulkan1 package has it)' };
  }
  const gpu = mod.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter == null) {
    return {
      reason:
        'Dawn found no Vulkan adapter (needs libvulkan.so.1 and a Vulkan driver: the NVIDIA driver has one; ' +
        'for a software one, Mesa\'s lavapipe: Debian\'s mesa-vulkan-drivers package)',
    };
  }
  return { dawn: mod as DawnModule, gpu, adapter, summary: summarizeAdapter(adapter) };
}
