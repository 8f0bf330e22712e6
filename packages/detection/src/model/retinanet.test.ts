import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '@db/backend';
import { regularizer } from '@db/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { anchorCount } from '../anchors/anchors.js';
import { buildRetinaNet, reportDetectionVariants } from './retinanet.js';

// The pure-JS cpu backend needs minutes for one forward pass of the FPN; wasm takes seconds.
beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});

describe('buildRetinaNet', () => {
  it('has 38,048,372 parameters at 80 classes, as keras-io RetinaNet (ResNet-50 + FPN + heads) counts them', () => {
    const net = buildRetinaNet({ inputSize: 128, numClasses: 80 });
    // Keras ResNet50(include_top=False): 23,587,712.
    // FPN: 1x1 on C3/C4/C5: 512*256+256 + 1024*256+256 + 2048*256+256 = 918,272; three 3x3 256->256: 3 * 590,080;
    //      P6 3x3 2048->256: 4,718,848; P7 3x3 256->256: 590,080. Total 7,997,440.
    // Class head: 4 * 590,080 + (9*256*720 + 720) = 4,019,920. Box head: 4 * 590,080 + (9*256*36 + 36) = 2,443,300.
    expect(23_587_712 + 7_997_440 + 4_019_920 + 2_443_300).toBe(38_048_372);
    expect(net.model.countParams()).toBe(38_048_372);
    expect(net.backbone.countParams()).toBe(23_587_712);
    net.dispose();
  });

  it('maps a batch to [batch, anchors, 4 + classes], FPN levels at strides 8..128, class bias -log(99)', () => {
    const net = buildRetinaNet({ inputSize: 128, numClasses: 3, stageBlocks: [1, 1, 1, 1], seed: 1 });
    const fpnShapes = [3, 4, 5, 6, 7].map((l) => net.model.getLayer(`fpn_p${l}`).outputShape);
    expect(fpnShapes).toEqual([
      [null, 16, 16, 256],
      [null, 8, 8, 256],
      [null, 4, 4, 256],
      [null, 2, 2, 256],
      [null, 1, 1, 256],
    ]);
    const out = tf.tidy(() => net.predict(tf.zeros([1, 128, 128, 3]) as tf.Tensor4D));
    expect(out.shape).toEqual([1, anchorCount(128, 128), 7]);
    expect(net.anchorCount).toBe(3069);
    const bias = net.model.getLayer('cls_head_out').getWeights()[1].dataSync();
    expect(bias[0]).toBeCloseTo(-Math.log(99), 5);
    const kernel = net.model.getLayer('box_head_conv1').getWeights()[0];
    const std = tf.tidy(() => tf.moments(kernel).variance.sqrt().dataSync()[0]);
    expect(std).toBeGreaterThan(0.009);
    expect(std).toBeLessThan(0.011);
    out.dispose();
    net.dispose();
  });

  it('runs the backbone once per forward pass: each BatchNorm and each conv once, the shared heads once per level', async () => {
    const net = buildRetinaNet({ inputSize: 128, numClasses: 2, stageBlocks: [1, 1, 1, 1], seed: 2 });
    const backbone = new Set(net.backbone.layers);
    const layers = [...backbone, ...net.model.layers.filter((l) => !backbone.has(l))];
    const batchNorms = layers.filter((l) => l.getClassName() === 'BatchNormalization').length;
    const convs = layers.filter((l) => l.getClassName() === 'Conv2D');
    const headConvs = convs.filter((l) => /^(cls|box)_head/.test(l.name)).length;
    // [1, 1, 1, 1] blocks: conv1 + 4 blocks of 3 convs + 4 projection shortcuts; each conv has its BatchNorm.
    expect(batchNorms).toBe(17);
    expect(headConvs).toBe(10);
    const info = await tf.profile(() => net.predict(tf.zeros([1, 128, 128, 3]) as tf.Tensor4D, true));
    tf.dispose(info.result as tf.Tensor);
    const calls = (...names: string[]) => info.kernels.filter((k) => names.includes(k.name)).length;
    // Applied as a nested 3-output model, tfjs-layers ran the backbone once per output: 51 BatchNorms here.
    expect(calls('FusedBatchNorm')).toBe(batchNorms);
    expect(calls('FusedConv2D', 'Conv2D')).toBe(convs.length - headConvs + 5 * headConvs);
    net.dispose();
  });

  it('puts the regulariser in the backbone, and in the FPN only when asked', () => {
    const count = (net: ReturnType<typeof buildRetinaNet>, prefix: string) =>
      net.model.layers.filter((l) => l.name.startsWith(prefix)).length + net.backbone.layers.filter((l) => l.name.endsWith('_drop')).length;
    const spec = regularizer.dropBlock(3, 0.9);
    const a = buildRetinaNet({ inputSize: 128, numClasses: 2, stageBlocks: [1, 1, 1, 1], regularizer: spec });
    const b = buildRetinaNet({ inputSize: 128, numClasses: 2, stageBlocks: [1, 1, 1, 1], regularizer: spec, regularizeFpn: true });
    expect(count(a, 'fpn_p')).toBe(count(b, 'fpn_p') - 5);
    expect(a.backbone.layers.filter((l) => l.name.endsWith('_drop')).length).toBe(8);
    expect(b.model.layers.filter((l) => /^fpn_p\d_drop$/.test(l.name)).length).toBe(5);
    a.dispose();
    b.dispose();
  });

  it('dispose() frees every weight, the shared heads (applied once per level) included', () => {
    const before = tf.memory().numTensors;
    const net = buildRetinaNet({ inputSize: 128, numClasses: 3, stageBlocks: [1, 1, 1, 1] });
    expect(tf.memory().numTensors - before).toBe(net.model.weights.length);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects input sizes that are not multiples of 128', () => {
    expect(() => buildRetinaNet({ inputSize: 200 })).toThrow(/inputSize must be a positive multiple of 128.*got 200/);
    expect(() => buildRetinaNet({ numClasses: 0 })).toThrow(/numClasses/);
  });
});

describe('reportDetectionVariants', () => {
  it("gives the report's seven rows in its order", () => {
    expect(reportDetectionVariants().map((v) => v.label)).toEqual([
      'RetinaNet',
      'RetinaNet + Dropout(0.25)',
      'RetinaNet + SpatialDropout(0.7)',
      'RetinaNet + DropBlock(bs = 7, kp = 0.7)',
      'RetinaNet + DropBlock(bs = 7, kp = 0.9)',
      'RetinaNet + DropBlock(bs = 3, kp = 0.7)',
      'RetinaNet + DropBlock(bs = 3, kp = 0.9)',
    ]);
    expect(reportDetectionVariants()[3].regularizer).toEqual({ kind: 'dropBlock', blockSize: 7, keepProb: 0.7 });
  });
});
