/**
 * Every public options object of @db/models rejects a key it does not know, naming the nearest valid one
 * (issue 20, item 9). The errors come before any layer is built.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { batchNormalization, buildNetwork, customNet, densenet, loadKerasWeights, regularizer, resnet50, resnet50Backbone, validateRegularizer } from './index.js';

const NET = { inputShape: [8, 8, 3] as const, numClasses: 2 };

describe('options objects of @db/models reject unknown keys', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['customNet', () => customNet({ ...NET, num_classes: 2 } as never), /^customNet options: unknown option 'num_classes' \(did you mean 'numClasses'\?\)/],
    ['resnet50', () => resnet50({ ...NET, stage_blocks: [1, 1, 1, 1] } as never), /^resnet50 options: unknown option 'stage_blocks' \(did you mean 'stageBlocks'\?\)/],
    ['resnet50Backbone', () => resnet50Backbone({ inputShape: [8, 8, 3], stemm: 'small' } as never), /^resnet50Backbone options: unknown option 'stemm' \(did you mean 'stem'\?\)/],
    ['resnet50Backbone has no numClasses', () => resnet50Backbone({ inputShape: [8, 8, 3], numClasses: 3 } as never), /^resnet50Backbone options: unknown option 'numClasses'/],
    ['densenet', () => densenet({ ...NET, growth_rate: 12 } as never), /^densenet options: unknown option 'growth_rate' \(did you mean 'growthRate'\?\)/],
    ['buildNetwork', () => buildNetwork('customNet', { ...NET, sead: 1 } as never), /^buildNetwork options: unknown option 'sead' \(did you mean 'seed'\?\)/],
    ['validateRegularizer (dropBlock)', () => validateRegularizer({ kind: 'dropBlock', blockSize: 3, keepProb: 0.9, keep_prob: 0.5 } as never), /^regularizer \(dropBlock\): unknown option 'keep_prob' \(did you mean 'keepProb'\?\)/],
    ['validateRegularizer (dropout)', () => validateRegularizer({ kind: 'dropout', rate: 0.2, rates: 0.5 } as never), /^regularizer \(dropout\): unknown option 'rates' \(did you mean 'rate'\?\)/],
    ['network regularizer option', () => customNet({ ...NET, regularizer: { kind: 'none', rate: 0.1 } } as never), /^regularizer \(none\): unknown option 'rate'/],
    ['batchNormalization', () => batchNormalization({ momentun: 0.9 } as never), /^batchNormalization args: unknown option 'momentun' \(did you mean 'momentum'\?\)/],
  ];
  for (const [name, call, message] of cases) {
    it(name, () => {
      expect(call).toThrow(TypeError);
      expect(call).toThrow(message);
    });
  }

  it('loadKerasWeights', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
    await expect(loadKerasWeights(model, new Uint8Array(8), { skip_mismatch: true } as never)).rejects.toThrow(
      /^loadKerasWeights options: unknown option 'skip_mismatch' \(did you mean 'skipMismatch'\?\)/,
    );
    model.dispose();
  });

  it('still accepts every documented key', () => {
    expect(validateRegularizer(regularizer.dropBlock(3, 0.9))).toEqual({ kind: 'dropBlock', blockSize: 3, keepProb: 0.9 });
    expect(batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-3, center: true, scale: true, name: 'bn', trainable: true }).name).toBe('bn');
    const net = customNet({ ...NET, regularizer: regularizer.spatialDropout(0.1), seed: 1 });
    expect(net.outputs[0].shape).toEqual([null, 2]);
    net.dispose();
  });
});
