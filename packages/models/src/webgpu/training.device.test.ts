/**
 * One training step of the report's networks on the webgpu backend (Dawn; a software Vulkan driver in CI, see
 * scripts/setup-vulkan.sh): no kernel missing there, gradients matching the cpu backend's for identical weights
 * and inputs, and the Adam step applied. Tiny inputs and batches: software Vulkan is slow.
 *
 * Lives here rather than in @db/backend because @db/backend cannot depend on @db/models (which depends on it).
 * RetinaNet has its own, in @db/detection (src/webgpu/training.device.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { activeWebGpuAdapter, describeAdapter, kernelsMissingOn, useFastestBackend, worstGradientError } from '@db/backend';
import { regularizer } from '../regularizer/spec.js';
import { customNet } from '../networks/custom-net.js';
import { resnet50 } from '../networks/resnet50.js';
import { densenet } from '../networks/densenet.js';

/** Null when webgpu loads on some adapter (software included); else why these tests are skipped. */
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
console.info(skipReason == null && adapter != null ? `[training.device.test] webgpu on ${describeAdapter(adapter)}` : `[training.device.test] SKIPPED: ${skipReason}`);

interface NetCase {
  name: string;
  build: () => tf.LayersModel;
  input: [number, number, number];
  rtol: number;
}

const CLASSES = 10;
const BATCH = 2;
// DropBlock in every net so that its forward and gradient are on the training path too.
const reg = regularizer.dropBlock(3, 0.9);
const NETS: NetCase[] = [
  { name: 'CustomNet', input: [16, 16, 3], rtol: 1e-4, build: () => customNet({ inputShape: [16, 16, 3], numClasses: CLASSES, regularizer: reg, seed: 1 }) },
  {
    name: 'ResNet-50 (1 block per stage)',
    input: [32, 32, 3],
    rtol: 1e-3,
    build: () => resnet50({ inputShape: [32, 32, 3], numClasses: CLASSES, regularizer: reg, seed: 1, stageBlocks: [1, 1, 1, 1] }),
  },
  {
    name: 'DenseNet (blocks [2, 2], k 8)',
    input: [16, 16, 3],
    rtol: 1e-4,
    build: () => densenet({ inputShape: [16, 16, 3], numClasses: CLASSES, regularizer: reg, seed: 1, blocks: [2, 2], growthRate: 8, stemFilters: 16 }),
  },
];

/** Gradients of the categorical cross-entropy w.r.t. the trainable weights, then one Adam step with them. */
async function trainingStep(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<{ loss: number; grads: Float32Array[] }> {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () => tf.mean(tf.metrics.categoricalCrossentropy(y, model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
    vars,
  );
  const values = await Promise.all(vars.map(async (v) => (await grads[v.name].data()) as Float32Array));
  const optimizer = tf.train.adam(1e-3);
  optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
  const loss = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads)]);
  optimizer.dispose();
  return { loss, grads: values };
}

/** Same seeded data on any backend. */
function batch(input: [number, number, number]): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => [
    tf.randomNormal([BATCH, ...input], 0, 1, 'float32', 11),
    tf.oneHot(tf.tensor1d([3, 7], 'int32'), CLASSES).toFloat(),
  ]);
}

describe.skipIf(skipReason != null)('one training step on webgpu', () => {
  it.each(NETS)('$name: no missing kernel, gradients match cpu, step applied', async (net) => {
    await tf.setBackend('cpu');
    const cpuModel = net.build();
    const [xc, yc] = batch(net.input);
    let ref!: { loss: number; grads: Float32Array[] };
    const missing = await kernelsMissingOn('webgpu', async () => {
      ref = await trainingStep(cpuModel, xc, yc);
    });
    tf.dispose([xc, yc]);
    cpuModel.dispose();
    expect(missing).toEqual([]);

    await tf.setBackend('webgpu');
    const model = net.build();
    const [x, y] = batch(net.input);
    const before = await model.trainableWeights[0].read().data();
    const t0 = performance.now();
    const got = await trainingStep(model, x, y);
    const firstMs = performance.now() - t0;
    const after = await model.trainableWeights[0].read().data();
    tf.dispose([x, y]);
    model.dispose();

    expect(Math.abs(got.loss - ref.loss) / Math.abs(ref.loss)).toBeLessThan(net.rtol);
    expect(got.grads.length).toBe(ref.grads.length);
    // Each gradient against its own largest magnitude, floored at 1% of the net's largest (worstGradientError).
    const worst = worstGradientError(ref.grads, got.grads);
    expect(worst).toBeLessThan(net.rtol);
    expect(Array.from(after)).not.toEqual(Array.from(before));
    console.info(
      `${net.name}: loss webgpu ${got.loss.toFixed(6)} cpu ${ref.loss.toFixed(6)}; ${got.grads.length} gradients, ` +
        `worst relative error ${worst.toExponential(1)}; first webgpu step (shader compilation included) ${firstMs.toFixed(0)} ms`,
    );
    // The cpu backend's reference step dominates (pure-JS convolutions: ResNet-50's took ~75 s on two busy cores).
  }, 600_000);
});
