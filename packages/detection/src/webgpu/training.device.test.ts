/**
 * One RetinaNet training step on the webgpu backend (Dawn; a software Vulkan driver in CI, see
 * scripts/setup-vulkan.sh): no kernel missing there, keras-io's loss and its gradients matching the wasm backend's
 * for identical weights, inputs, targets and DropBlock masks. The reference is wasm with @db/backend's training
 * kernels, whose every kernel is parity-tested against the cpu backend (packages/backend): the pure-JS cpu backend
 * took over 10 minutes for this step on two shared cores. A shallow backbone ([1, 1, 1, 1] blocks) at 128 px with 2
 * classes; the FPN, heads and losses are the full model's.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { activeWebGpuAdapter, describeAdapter, kernelsMissingOn, registerWasmTrainingKernels, useFastestBackend, worstGradientError } from '@db/backend';
import { regularizer } from '@db/models';
import { encodeLabels } from '../encode/encode.js';
import { retinaNetLoss } from '../loss/retinanet-loss.js';
import { buildRetinaNet } from '../model/retinanet.js';

/** Null when webgpu loads on some adapter (software included); else why the test is skipped. */
const skipReason: string | null = await (async () => {
  try {
    await useFastestBackend({ force: 'webgpu', log: () => {} });
    return null;
  } catch (error) {
    const reason = `${(error as Error).message}; run eval "$(scripts/setup-vulkan.sh)" first`;
    if (process.env.DB_REQUIRE_WEBGPU === '1') throw new Error(`DB_REQUIRE_WEBGPU=1 but ${reason}`);
    return reason;
  }
})();
const adapter = activeWebGpuAdapter();
console.info(skipReason == null && adapter != null ? `[retinanet webgpu] on ${describeAdapter(adapter)}` : `[retinanet webgpu] SKIPPED: ${skipReason}`);

const SIZE = 128;

/** Loss and the gradient of every trainable weight for one seeded batch on the active backend. */
async function step(): Promise<{ loss: number; grads: Float32Array[] }> {
  const net = buildRetinaNet({ inputSize: SIZE, numClasses: 2, stageBlocks: [1, 1, 1, 1], regularizer: regularizer.dropBlock(3, 0.9), seed: 3 });
  const enc = encodeLabels(net.anchors, new Float32Array([10, 10, 60, 70, 64, 32, 120, 96]), [0, 1]);
  const n = net.anchorCount;
  const [x, bt, ct] = tf.tidy(() => [
    tf.randomUniform([1, SIZE, SIZE, 3], -100, 100, 'float32', 7) as tf.Tensor4D,
    tf.tensor3d(enc.boxTargets, [1, n, 4]),
    tf.tensor2d(enc.classTargets, [1, n]),
  ]);
  const vars = net.model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => retinaNetLoss(net.predict(x, true), bt, ct).total, vars);
  const values = await Promise.all(vars.map(async (v) => (await grads[v.name].data()) as Float32Array));
  const loss = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads), x, bt, ct]);
  net.dispose();
  return { loss, grads: values };
}

describe.skipIf(skipReason != null)('one RetinaNet training step on webgpu', () => {
  it('has no missing kernel and matches the wasm backend (loss and every gradient)', async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
    const ref = await step();
    // Every kernel the step dispatches on webgpu is webgpu's own (webgpu has no fallback: a missing one throws).
    await tf.setBackend('webgpu');
    let got!: { loss: number; grads: Float32Array[] };
    const missing = await kernelsMissingOn('webgpu', async () => {
      got = await step();
    });
    expect(missing).toEqual([]);
    expect(Math.abs(got.loss - ref.loss) / Math.abs(ref.loss)).toBeLessThan(1e-4);
    expect(got.grads.length).toBe(ref.grads.length);
    // Each gradient against its own largest magnitude, floored at 1% of the net's largest (worstGradientError).
    const worst = worstGradientError(ref.grads, got.grads);
    expect(worst).toBeLessThan(1e-3);
    console.info(`RetinaNet (shallow, 128 px): loss webgpu ${got.loss.toFixed(6)} wasm ${ref.loss.toFixed(6)}; ${got.grads.length} gradients, worst relative error ${worst.toExponential(1)}`);
  }, 900_000);
});
