import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { regularizer } from '../regularizer/spec.js';
import { reportVariants } from '../regularizer/variants.js';
import { useWasmTraining } from '../test-utils/backend.js';
import { sameValues, tinyBatch, trainAndMeasure, weightValues } from '../test-utils/data.js';
import { consumers, inbound, isRelu, producer, regularizerLayers } from '../test-utils/inspect.js';
import { bnParams, convParams, denseParams } from '../test-utils/params.js';
import { densenet } from './densenet.js';

const CIFAR = [32, 32, 3] as const;
const MNIST = [28, 28, 1] as const;

/** DenseNet parameters from the layout: stem conv, dense layers, transitions (compression 0.5), classifier. */
function expectedParams(blocks: number[], channels: number, classes: number, k = 32): number {
  let total = convParams(7, channels, 64);
  let c = 64;
  blocks.forEach((layers, b) => {
    for (let l = 0; l < layers; l++) {
      total += bnParams(c) + convParams(1, c, 4 * k) + bnParams(4 * k) + convParams(3, 4 * k, k);
      c += k;
    }
    if (b < blocks.length - 1) {
      total += bnParams(c) + convParams(1, c, Math.floor(c / 2));
      c = Math.floor(c / 2);
    }
  });
  return total + denseParams(c, classes);
}

beforeAll(useWasmTraining);

describe('densenet', () => {
  it("starts as the report's summary shows: stem to 8x8x64, then BN, ReLU, DropBlock, Conv1x1(128), ..., concatenate", () => {
    const model = densenet({ inputShape: CIFAR, numClasses: 10, regularizer: regularizer.dropBlock(3, 0.9) });
    const rows = model.layers
      .slice(3, 13)
      .map((l) => [l.getClassName(), (l.outputShape as number[]).slice(1), l.countParams()]);
    // The report's rows (its DropBlock rows carry 128 weights of their own; ours carry none).
    expect(rows).toEqual([
      ['BatchNormalization', [8, 8, 64], 256],
      ['ReLU', [8, 8, 64], 0],
      ['DropBlock2D', [8, 8, 64], 0],
      ['Conv2D', [8, 8, 128], 8_320],
      ['BatchNormalization', [8, 8, 128], 512],
      ['ReLU', [8, 8, 128], 0],
      ['DropBlock2D', [8, 8, 128], 0],
      ['Conv2D', [8, 8, 32], 36_896],
      ['Concatenate', [8, 8, 96], 0],
      ['BatchNormalization', [8, 8, 96], 384],
    ]);
    const pool = model.getLayer('pool1');
    expect(pool.getClassName()).toBe('MaxPooling2D');
    expect(pool.outputShape).toEqual([null, 8, 8, 64]);
    // The concatenate reads [max pool, conv 3x3], in the summary's order.
    expect(inbound(model.getLayer('block1_layer1_concat')).map((l) => l.name)).toEqual(['pool1', 'block1_layer1_conv2']);
  });

  it('has the DenseNet-121 layout parameter count in every form, and the channel and map sizes of its blocks', () => {
    const expected = expectedParams([6, 12, 24, 16], 3, 10);
    for (const variant of reportVariants('densenet')) {
      const model = densenet({ inputShape: CIFAR, numClasses: 10, regularizer: variant.regularizer });
      expect(model.countParams(), variant.label).toBe(expected);
      model.dispose();
    }
    const model = densenet({ inputShape: CIFAR, numClasses: 10 });
    const shape = (name: string) => (model.getLayer(name).outputShape as number[]).slice(1);
    expect(shape('block1_layer6_concat')).toEqual([8, 8, 256]);
    expect(shape('transition1_pool')).toEqual([4, 4, 128]);
    expect(shape('block2_layer12_concat')).toEqual([4, 4, 512]);
    expect(shape('transition2_pool')).toEqual([2, 2, 256]);
    expect(shape('block3_layer24_concat')).toEqual([2, 2, 1024]);
    expect(shape('transition3_pool')).toEqual([1, 1, 512]);
    expect(shape('block4_layer16_concat')).toEqual([1, 1, 1024]);
    expect(shape('predictions')).toEqual([10]);
  });

  it('has 2 regularisers per dense layer, each right after a ReLU and before a conv, none in transitions', () => {
    for (const variant of reportVariants('densenet')) {
      const model = densenet({ inputShape: CIFAR, numClasses: 10, blocks: [6, 12, 24, 16], regularizer: variant.regularizer });
      const regs = regularizerLayers(model);
      expect(regs, variant.label).toHaveLength(variant.regularizer.kind === 'none' ? 0 : 2 * 58);
      for (const layer of regs) {
        expect(isRelu(producer(layer)), layer.name).toBe(true);
        expect(producer(producer(layer)).getClassName()).toBe('BatchNormalization');
        const next = consumers(model, layer);
        expect(next.map((l) => l.getClassName())).toEqual(['Conv2D']);
        expect(next[0].name).toMatch(/^block\d_layer\d+_conv[12]$/);
      }
      const transitionReadsRelu = model.layers
        .filter((l) => /^transition\d_conv$/.test(l.name))
        .every((l) => isRelu(producer(l)));
      expect(transitionReadsRelu).toBe(true);
      model.dispose();
    }
  });

  it('works on 28x28x1 and 32x32x3 inputs (maps 7, 4, 2, 1 and 8, 4, 2, 1)', () => {
    for (const shape of [MNIST, CIFAR]) {
      const model = densenet({ inputShape: shape, numClasses: 10, regularizer: regularizer.dropBlock(7, 0.9) });
      const side = (name: string) => (model.getLayer(name).outputShape as number[])[1];
      expect(['pool1', 'transition1_pool', 'transition2_pool', 'transition3_pool'].map(side)).toEqual(
        shape === MNIST ? [7, 4, 2, 1] : [8, 4, 2, 1],
      );
      expect(model.countParams()).toBe(expectedParams([6, 12, 24, 16], shape[2], 10));
      const before = tf.memory().numTensors;
      const out = tf.tidy(() => (model.predict(tf.ones([2, ...shape])) as tf.Tensor).arraySync() as number[][]);
      expect(out).toHaveLength(2);
      for (const row of out) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    }
  });

  it('is configurable (blocks, growth rate, compression) and checks those options', () => {
    const model = densenet({ inputShape: MNIST, numClasses: 3, blocks: [2, 3], growthRate: 8, compression: 0.5 });
    expect(model.countParams()).toBe(expectedParams([2, 3], 1, 3, 8));
    const withDropout = densenet({ inputShape: MNIST, numClasses: 3, blocks: [2, 3], regularizer: regularizer.dropout(0.25) });
    expect(regularizerLayers(withDropout)).toHaveLength(10);
    expect(() => densenet({ inputShape: MNIST, numClasses: 3, blocks: [] })).toThrow(/blocks/);
    expect(() => densenet({ inputShape: MNIST, numClasses: 3, growthRate: 0 })).toThrow(/growthRate/);
    expect(() => densenet({ inputShape: MNIST, numClasses: 3, compression: 1.5 })).toThrow(/compression/);
    expect(() => densenet({ inputShape: MNIST, numClasses: 3, stemFilters: -1 })).toThrow(/stemFilters/);
  });

  it('is seeded: one seed gives identical weights in every form, another seed different ones', () => {
    const small = { inputShape: MNIST, numClasses: 10, blocks: [2, 2], growthRate: 8, seed: 5 } as const;
    const forms = reportVariants('densenet').map((v) => weightValues(densenet({ ...small, regularizer: v.regularizer })));
    for (const form of forms.slice(1)) {
      for (const [name, values] of form) expect(sameValues(values, forms[0].get(name)!), name).toBe(true);
    }
    const other = weightValues(densenet({ ...small, seed: 6 }));
    expect(sameValues(other.get('conv1/kernel')!, forms[0].get('conv1/kernel')!)).toBe(false);
  });

  it('trains in each of the five forms (two small blocks, growth 8) on MNIST-sized input', async () => {
    const small = { inputShape: MNIST, numClasses: 10, blocks: [2, 2], growthRate: 8, seed: 1 } as const;
    const batch = tinyBatch(8, MNIST, 10);
    const plain = densenet(small);
    for (const variant of reportVariants('densenet')) {
      const model = densenet({ ...small, regularizer: variant.regularizer });
      const r = await trainAndMeasure(model, plain, batch, 4);
      expect(r.stepLosses.every(Number.isFinite), variant.label).toBe(true);
      expect(r.weightsChanged, variant.label).toBe(true);
      expect(r.after, variant.label).toBeLessThan(0.9 * r.before);
      model.dispose();
    }
    tf.dispose([batch.x, batch.y]);
  });
});
