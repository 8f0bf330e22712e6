import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { fusedBatchNormGradConfig } from '@tensorflow/tfjs-core/dist/gradients/FusedBatchNorm_grad.js';
import { registerWasmTrainingKernels } from '../register.js';
import { BURST, isGradientOverridden, registeredByTfjs } from './gradient-override.js';
import { FUSED_BATCH_NORM_GRAD } from './batch-norm-grad.js';
import { setupBackends } from './test-utils/backends.js';
import { GUIDED_DX, PLAIN_DX, guidedReluGradient, reluGradOn } from './test-utils/guided-relu.js';

// Stacks of gradRegistry.set calls as Node prints them (captured on this repo's layout, pnpm store and tsx source maps).
const HOOK = '    at Map.registry.set (/repo/packages/backend/src/kernels/misc/gradient-override.ts:98:40)';
const STOCK_CJS = [
  'Error',
  HOOK,
  '    at registerGradient (/repo/node_modules/.pnpm/@tensorflow+tfjs@4.22.0/node_modules/@tensorflow/tfjs/node_modules/@tensorflow/tfjs-core/dist/kernel_registry.js:92:18)',
  '    at Object.<anonymous> (/repo/node_modules/.pnpm/@tensorflow+tfjs@4.22.0/node_modules/@tensorflow/tfjs/node_modules/@tensorflow/tfjs-core/dist/register_all_gradients.js:228:5)',
  '    at Module._compile (node:internal/modules/cjs/loader:1521:14)',
  '    at Module.load (node:internal/modules/cjs/loader:1266:32)',
].join('\n');
const STOCK_SOURCE_MAPPED = [
  'Error',
  HOOK,
  '    at registerGradient (/repo/node_modules/.pnpm/tfjs-core/src/kernel_registry.ts:160:16)',
  '    at Object.<anonymous> (/repo/node_modules/.pnpm/tfjs-core/src/register_all_gradients.ts:231:3)',
  '    at Module._compile (node:internal/modules/cjs/loader:1521:14)',
].join('\n');
const USER = [
  'Error',
  HOOK,
  '    at Module.registerGradient (/repo/node_modules/.pnpm/@tensorflow+tfjs-core@4.22.0/node_modules/@tensorflow/tfjs-core/dist/kernel_registry.js:92:18)',
  '    at <anonymous> (/home/me/guided-backprop.ts:7:6)',
  '    at ModuleJob.run (node:internal/modules/esm/module_job:234:25)',
].join('\n');

describe("users' gradients win over this package's overrides (issue 19, item 3)", () => {
  it('tells tfjs registering its stock gradients from a user registering one, by the call stack', () => {
    expect(registeredByTfjs(STOCK_CJS)).toBe(true);
    expect(registeredByTfjs(STOCK_SOURCE_MAPPED)).toBe(true);
    expect(registeredByTfjs(USER)).toBe(false);
    // A user's wrapper between registerGradient and the loader is the user's file: not tfjs'.
    expect(registeredByTfjs(USER.replace('/home/me/guided-backprop.ts', '/home/me/node_modules/my-lib/index.js'))).toBe(false);
    expect(registeredByTfjs(undefined)).toBe(false);
  });

  it('runs a user-registered guided-backprop Relu gradient on cpu and wasm: [0, 0, 11]', async () => {
    await setupBackends();
    expect(isGradientOverridden('Relu')).toBe(true);
    expect(await reluGradOn(tf, 'wasm')).toEqual(PLAIN_DX);
    const calls = { n: 0 };
    tf.registerGradient(guidedReluGradient(tf, calls));
    expect(isGradientOverridden('Relu')).toBe(false);
    expect(await reluGradOn(tf, 'wasm')).toEqual(GUIDED_DX);
    expect(await reluGradOn(tf, 'cpu')).toEqual(GUIDED_DX);
    expect(calls.n).toBe(2);
    // Re-asserting this package's kernels (a second useFastestBackend()) keeps the user's gradient.
    registerWasmTrainingKernels();
    expect(isGradientOverridden('Relu')).toBe(false);
    expect(await reluGradOn(tf, 'wasm')).toEqual(GUIDED_DX);
  });

  it("runs a user-registered FusedBatchNorm gradient on wasm instead of the fused one", async () => {
    await setupBackends();
    expect(isGradientOverridden('FusedBatchNorm')).toBe(true);
    let calls = 0;
    tf.registerGradient({
      ...fusedBatchNormGradConfig,
      gradFunc: (dy, saved, attrs) => {
        calls++;
        return fusedBatchNormGradConfig.gradFunc(dy, saved, attrs);
      },
    });
    expect(isGradientOverridden('FusedBatchNorm')).toBe(false);
    await tf.setBackend('wasm');
    const x = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 7);
    const info = await tf.profile(() =>
      tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.batchNorm(a, tf.zeros([4]), tf.ones([4]), tf.zeros([4]), tf.ones([4]), 1e-3))))(x),
    );
    tf.dispose([x, info.result as tf.Tensor]);
    expect(calls).toBe(1);
    expect(info.kernels.map((k) => k.name)).not.toContain(FUSED_BATCH_NORM_GRAD);
  });

  it('treats a burst of registrations in one synchronous run as a bundle, whatever the stack', async () => {
    await setupBackends();
    expect(isGradientOverridden('Sum')).toBe(true);
    const stockSum = tf.getGradient('Sum');
    // What register_all_gradients does: many kernels first, then an overridden one, all in one run.
    const names = Array.from({ length: BURST + 1 }, (_, i) => `DbTestBurst${i}`);
    for (const kernelName of names) tf.registerGradient({ kernelName, gradFunc: () => ({}) });
    tf.registerGradient({ kernelName: 'Sum', inputsToSave: ['x'], gradFunc: () => ({}) });
    expect(isGradientOverridden('Sum')).toBe(true);
    expect(stockSum).toBe(tf.getGradient('Sum'));
  });

  it('keeps a gradient registered before tfjs loads its stock ones, and ours over the stock ones (child process)', () => {
    const script = fileURLToPath(new URL('./test-utils/user-gradient-child.ts', import.meta.url));
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const child = spawnSync(process.execPath, ['--conditions=@db/source', '--import', tsx, script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.status, child.stderr).toBe(0);
    const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, child.stdout + child.stderr).toBeDefined();
    const r = JSON.parse(line!.slice('RESULT '.length));
    expect(r).toEqual({ wasm: GUIDED_DX, cpu: GUIDED_DX, calls: 2, reluOurs: false, batchNormOurs: true, sumOurs: true });
  }, 90_000);
});
