import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKEND_ORDER, parseBackendName } from './candidates.js';
import { availableParallelism, cpus } from 'node:os';
import { oneLineReason, resolveWasmThreads, useFastestBackend } from './use-fastest-backend.js';

/**
 * An import that behaves as if tfjs-node-gpu were present but its native binding failed, and Dawn (`webgpu`) and
 * tfjs-node absent.
 */
function fakeImport(overrides: Record<string, () => Promise<unknown>> = {}) {
  const calls: string[] = [];
  const importModule = async (specifier: string) => {
    calls.push(specifier);
    if (overrides[specifier]) return overrides[specifier]();
    if (specifier === '@tensorflow/tfjs-node-gpu') {
      throw new Error(
        'libcudart.so.11.0: cannot open shared object file: No such file or directory\n    at Module._extensions..node (node:internal/modules/cjs/loader:1340:18)',
      );
    }
    if (specifier === '@tensorflow/tfjs-node' || specifier === 'webgpu') {
      throw Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node' imported from /x.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    }
    return import(specifier);
  };
  return { importModule, calls };
}

describe('useFastestBackend', () => {
  afterEach(async () => {
    if (tf.findBackendFactory('tensorflow') != null) tf.removeBackend('tensorflow');
    await tf.setBackend('cpu');
  });

  it('tries node-gpu, webgpu, node, wasm, cpu in that order', () => {
    expect(BACKEND_ORDER).toEqual(['node-gpu', 'webgpu', 'node', 'wasm', 'cpu']);
  });

  it('falls back past failing optional backends to wasm, one log line each', async () => {
    const lines: string[] = [];
    const { importModule, calls } = fakeImport();
    const choice = await useFastestBackend({ env: {}, wasmThreads: 1, log: (l) => lines.push(l), importModule });
    expect(choice).toMatchObject({ candidate: 'wasm', backendName: 'wasm', forced: false });
    expect(tf.getBackend()).toBe('wasm');
    expect(calls.slice(0, 4)).toEqual(['@tensorflow/tfjs-node-gpu', 'webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm']);
    expect(choice.skipped).toEqual([
      { candidate: 'node-gpu', reason: 'libcudart.so.11.0: cannot open shared object file: No such file or directory' },
      { candidate: 'webgpu', reason: 'not installed' },
      { candidate: 'node', reason: 'not installed' },
    ]);
    expect(lines).toEqual([
      '@db/backend: using wasm (XNNPACK, with @db/backend training kernels)',
      '@db/backend:   skipped @tensorflow/tfjs-node-gpu: libcudart.so.11.0: cannot open shared object file: No such file or directory',
      '@db/backend:   skipped @tensorflow/tfjs-backend-webgpu: not installed',
      '@db/backend:   skipped @tensorflow/tfjs-node: not installed',
    ]);
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
    // The training kernels come with the wasm choice.
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it('picks tfjs-node when it loads and registers the tensorflow backend', async () => {
    const lines: string[] = [];
    const { importModule } = fakeImport({
      // Stand-in for the real binding: registers a 'tensorflow' backend as tfjs-node does on import.
      '@tensorflow/tfjs-node': async () => tf.registerBackend('tensorflow', () => new MathBackendCPU()),
    });
    const choice = await useFastestBackend({ env: {}, log: (l) => lines.push(l), importModule });
    expect(choice.candidate).toBe('node');
    expect(tf.getBackend()).toBe('tensorflow');
    expect(lines[0]).toBe('@db/backend: using tensorflow (tfjs-node, libtensorflow on the CPU)');
    expect(lines).toHaveLength(3);
  });

  it('is forced by DB_BACKEND without trying faster backends', async () => {
    const lines: string[] = [];
    const { importModule, calls } = fakeImport();
    const choice = await useFastestBackend({ env: { DB_BACKEND: 'CPU' }, log: (l) => lines.push(l), importModule });
    expect(choice).toEqual({ candidate: 'cpu', backendName: 'cpu', forced: true, skipped: [] });
    expect(calls).toEqual(['@tensorflow/tfjs-backend-cpu']);
    expect(lines).toEqual(['@db/backend: using cpu (pure JavaScript; slow for conv nets), forced by DB_BACKEND=CPU']);
  });

  it('lets options.force win over DB_BACKEND', async () => {
    const choice = await useFastestBackend({ force: 'wasm', env: { DB_BACKEND: 'cpu' }, log: () => {} });
    expect(choice.candidate).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects a forced backend that fails to load, with a one-line reason', async () => {
    const { importModule } = fakeImport();
    await expect(useFastestBackend({ env: { DB_BACKEND: 'tensorflow' }, log: () => {}, importModule })).rejects.toThrow(
      "@db/backend: DB_BACKEND=tensorflow asks for @tensorflow/tfjs-node, which failed: not installed",
    );
  });

  it('names DB_BACKEND and the accepted values for an unknown backend', async () => {
    await expect(useFastestBackend({ env: { DB_BACKEND: 'metal' }, log: () => {} })).rejects.toThrow(
      /^DB_BACKEND must be one of node-gpu, gpu, tfjs-node-gpu, tensorflow-gpu, webgpu, tfjs-backend-webgpu, node, tensorflow, tfjs-node, wasm, cpu; got 'metal'$/,
    );
    expect(() => parseBackendName('nope', 'options.force')).toThrow(/options\.force must be one of/);
  });

  it('names DB_WASM_THREADS when it is not a thread count', async () => {
    await expect(useFastestBackend({ env: { DB_WASM_THREADS: 'two' }, log: () => {} })).rejects.toThrow(
      "DB_WASM_THREADS must be a non-negative integer, got 'two'",
    );
  });

  it('defaults the wasm thread count to every core, overridable by DB_WASM_THREADS and options', () => {
    const cores = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
    expect(resolveWasmThreads(undefined, {})).toBe(cores);
    expect(resolveWasmThreads(undefined, { DB_WASM_THREADS: ' ' })).toBe(cores);
    expect(resolveWasmThreads(undefined, { DB_WASM_THREADS: '0' })).toBe(cores);
    expect(resolveWasmThreads(undefined, { DB_WASM_THREADS: '1' })).toBe(1);
    expect(resolveWasmThreads(3, { DB_WASM_THREADS: '1' })).toBe(3);
    expect(resolveWasmThreads(0, {})).toBe(cores);
    expect(() => resolveWasmThreads(1.5, {})).toThrow('options.wasmThreads must be a non-negative integer, got 1.5');
  });

  it('shortens loader errors to their first line', () => {
    expect(oneLineReason(new Error('\n  first line  \nsecond'))).toBe('first line');
    expect(oneLineReason('x'.repeat(300))).toHaveLength(160);
    expect(oneLineReason(Object.assign(new Error('gone'), { code: 'MODULE_NOT_FOUND' }))).toBe('not installed');
  });
});
