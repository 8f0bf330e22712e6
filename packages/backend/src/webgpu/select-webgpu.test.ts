/**
 * The webgpu candidate's decisions (hardware only in the search, software when forced, the adapter named in the
 * log), with a stand-in for Dawn so that they are checked on every machine; the real device is exercised by the
 * *.device.test.ts files when a Vulkan driver is present.
 */
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterEach, describe, expect, it } from 'vitest';
import { useFastestBackend } from '../select/use-fastest-backend.js';
import { describeAdapter, summarizeAdapter, type GpuAdapterLike } from './probe.js';

function fakeAdapter(info: Record<string, unknown>, destroyed: string[]): GpuAdapterLike {
  return {
    info,
    features: { has: () => false },
    limits: { maxStorageBufferBindingSize: 1 << 27 },
    requestDevice: async () => ({ destroy: () => destroyed.push(String(info.description)) }),
  };
}

/** tfjs-node-gpu and tfjs-node absent; Dawn offering `adapter`; a webgpu backend stand-in that runs on the cpu. */
function fakeImport(adapter: GpuAdapterLike | null) {
  const calls: string[] = [];
  const importModule = async (specifier: string): Promise<unknown> => {
    calls.push(specifier);
    if (specifier === 'webgpu') return { create: () => ({ requestAdapter: async () => adapter }), globals: {} };
    if (specifier === '@tensorflow/tfjs-backend-webgpu') return { WebGPUBackend: class extends MathBackendCPU {} };
    if (specifier.startsWith('@tensorflow/tfjs-node')) {
      throw Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' });
    }
    return import(specifier);
  };
  return { importModule, calls };
}

const HOPPER = { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200', isFallbackAdapter: false };
const LAVAPIPE = { vendor: 'mesa', architecture: 'software', description: 'llvmpipe: Mesa 25.0.7', isFallbackAdapter: true };

describe('the webgpu candidate', () => {
  afterEach(async () => {
    if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
    await tf.setBackend('cpu');
  });

  it('summarises adapters: fallback flag or software architecture mean software', () => {
    const destroyed: string[] = [];
    expect(summarizeAdapter(fakeAdapter(HOPPER, destroyed))).toEqual({
      vendor: 'nvidia',
      architecture: 'hopper',
      description: 'NVIDIA H200',
      software: false,
    });
    expect(summarizeAdapter(fakeAdapter(LAVAPIPE, destroyed)).software).toBe(true);
    expect(summarizeAdapter(fakeAdapter({ ...HOPPER, architecture: 'software', isFallbackAdapter: false }, destroyed)).software).toBe(true);
    // Older Dawn builds put isFallbackAdapter on the adapter, not its info.
    expect(summarizeAdapter({ ...fakeAdapter({ vendor: 'google', architecture: 'swiftshader' }, destroyed), isFallbackAdapter: true }).software).toBe(true);
    expect(describeAdapter(summarizeAdapter(fakeAdapter({}, destroyed)))).toBe('unknown vendor unknown architecture, no description');
  });

  it('uses a hardware adapter ahead of wasm and names it', async () => {
    const lines: string[] = [];
    const { importModule, calls } = fakeImport(fakeAdapter(HOPPER, []));
    const choice = await useFastestBackend({ env: {}, log: (l) => lines.push(l), importModule });
    expect(choice).toMatchObject({ candidate: 'webgpu', backendName: 'webgpu', forced: false });
    expect(tf.getBackend()).toBe('webgpu');
    expect(calls).toEqual(['@tensorflow/tfjs-node-gpu', 'webgpu', '@tensorflow/tfjs-backend-webgpu']);
    expect(lines[0]).toBe('@db/backend: using webgpu (Dawn on nvidia hopper, NVIDIA H200)');
    expect(lines[1]).toBe('@db/backend:   skipped @tensorflow/tfjs-node-gpu: not installed');
    // The backend's global hooks were installed for the tfjs webgpu package.
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeDefined();
  });

  it('skips a software adapter in the search, naming it, and moves on to wasm', async () => {
    const lines: string[] = [];
    const { importModule } = fakeImport(fakeAdapter(LAVAPIPE, []));
    const choice = await useFastestBackend({ env: {}, wasmThreads: 1, log: (l) => lines.push(l), importModule });
    expect(choice.candidate).toBe('wasm');
    expect(choice.skipped[1]).toEqual({
      candidate: 'webgpu',
      reason: 'only a software adapter: mesa software, llvmpipe: Mesa 25.0.7 (DB_BACKEND=webgpu uses it anyway)',
    });
    expect(lines).toContain(
      '@db/backend:   skipped @tensorflow/tfjs-backend-webgpu: only a software adapter: mesa software, llvmpipe: Mesa 25.0.7 (DB_BACKEND=webgpu uses it anyway)',
    );
  });

  it('says why when Dawn finds no adapter', async () => {
    const { importModule } = fakeImport(null);
    const choice = await useFastestBackend({ env: {}, wasmThreads: 1, log: () => {}, importModule });
    expect(choice.skipped[1].reason).toMatch(/^Dawn found no Vulkan adapter \(needs libvulkan\.so\.1 and a Vulkan driver/);
  });

  it('takes a software adapter when forced by DB_BACKEND=webgpu', async () => {
    const lines: string[] = [];
    const { importModule } = fakeImport(fakeAdapter(LAVAPIPE, []));
    const choice = await useFastestBackend({ env: { DB_BACKEND: 'webgpu' }, log: (l) => lines.push(l), importModule });
    expect(choice).toEqual({ candidate: 'webgpu', backendName: 'webgpu', forced: true, skipped: [] });
    expect(lines).toEqual(['@db/backend: using webgpu (Dawn on mesa software, llvmpipe: Mesa 25.0.7), forced by DB_BACKEND=webgpu']);
  });

  it('rejects a forced webgpu without an adapter, with the reason', async () => {
    const { importModule } = fakeImport(null);
    await expect(useFastestBackend({ force: 'webgpu', env: {}, log: () => {}, importModule })).rejects.toThrow(
      /^@db\/backend: options\.force asks for @tensorflow\/tfjs-backend-webgpu, which failed: Dawn found no Vulkan adapter/,
    );
  });
});
