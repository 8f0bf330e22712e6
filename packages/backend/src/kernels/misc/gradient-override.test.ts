import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, setupBackends, valuesOn } from './test-utils/backends.js';
import { isGradientOverridden } from './gradient-override.js';
import { FUSED_BATCH_NORM_GRAD } from './batch-norm-grad.js';
import { BROADCAST_REDUCED } from './reduction-grads.js';

/** Runs test-utils/import-order.ts in a fresh Node process and returns its RESULT line. */
function importOrder(order: 'before' | 'after'): { backend: string; atSelection: string[] | string; afterImport: string[] | string } {
  const script = fileURLToPath(new URL('./test-utils/import-order.ts', import.meta.url));
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const child = spawnSync(process.execPath, ['--conditions=@db/source', '--import', tsx, script, order], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(child.status, child.stderr).toBe(0);
  const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  expect(line, child.stdout + child.stderr).toBeDefined();
  return JSON.parse(line!.slice('RESULT '.length));
}

describe('gradient overrides and import order (issue 8, item 8)', () => {
  // Fresh processes: the order only matters when @tensorflow/tfjs' Node bundle is first loaded.
  it.each(['before', 'after'] as const)(
    'a BatchNorm gradient on wasm runs the fused kernels when @tensorflow/tfjs is imported %s useFastestBackend()',
    (order) => {
      const r = importOrder(order);
      expect(r.backend).toBe('wasm');
      const kernels = r.afterImport;
      expect(Array.isArray(kernels), String(kernels)).toBe(true);
      // Ours: one fused gradient kernel, per-channel broadcasts for the Mean gradients; upstream: Tile + ones.
      expect(kernels).toContain(FUSED_BATCH_NORM_GRAD);
      expect(kernels).toContain(BROADCAST_REDUCED);
      expect(kernels).not.toContain('Tile');
    },
    90_000,
  );

  describe('in this process', () => {
    beforeAll(setupBackends);

    it('delegates to the stock gradient (registered by tfjs, kept as the fallback) off wasm', async () => {
      expect(isGradientOverridden('FusedBatchNorm')).toBe(true);
      const f = () =>
        tf.grad((x: tf.Tensor) => {
          const { mean, variance } = tf.moments(x, [0, 1, 2]);
          return tf.sum(tf.square(tf.batchNorm(x, mean, variance, tf.zeros([3]), tf.ones([3]), 1e-3)));
        })(tf.randomNormal([2, 3, 3, 3], 0, 1, 'float32', 7));
      const kernelsOn = async (backend: 'cpu' | 'wasm') => {
        await tf.setBackend(backend);
        const info = await tf.profile(() => tf.tidy(f));
        tf.dispose(info.result as tf.Tensor);
        return info.kernels.map((k) => k.name);
      };
      expect(await kernelsOn('cpu')).not.toContain(FUSED_BATCH_NORM_GRAD);
      expect(await kernelsOn('wasm')).toContain(FUSED_BATCH_NORM_GRAD);
      const cpu = await valuesOn('cpu', f);
      const wasm = await valuesOn('wasm', f);
      expectClose(wasm[0], cpu[0]);
    });
  });
});
