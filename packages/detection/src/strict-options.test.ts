/**
 * Every public options object of @db/detection rejects a key it does not know, naming the nearest valid one
 * (issue 20, item 9). The errors come before any model is built or any file is read.
 */
import { describe, expect, it } from 'vitest';
import { SeedSequence, regularizer } from '@db/models';
import type { CocoDataset } from '@db/datasets';
import {
  buildRetinaNet,
  decodeDetections,
  encodeLabels,
  evaluateCoco,
  featurePyramid,
  predictCoco,
  trainRetinaNet,
  validationLoss,
  type RetinaNet,
} from './index.js';

const NET = {} as RetinaNet;
const NO_IMAGES = { images: [] } as unknown as CocoDataset;
const GT = { images: [], annotations: [], categories: [] };

describe('options objects of @db/detection reject unknown keys', () => {
  const throws: [string, () => unknown, RegExp][] = [
    ['buildRetinaNet', () => buildRetinaNet({ input_size: 256 } as never), /^buildRetinaNet options: unknown option 'input_size' \(did you mean 'inputSize'\?\)/],
    ['buildRetinaNet regularizer', () => buildRetinaNet({ regularizer: { kind: 'dropBlock', blockSize: 3, keep_prob: 0.9 } } as never), /^regularizer \(dropBlock\): unknown option 'keep_prob' \(did you mean 'keepProb'\?\)/],
    [
      'featurePyramid',
      () => featurePyramid(null as never, null as never, null as never, { seeds: new SeedSequence(0, 1), maskSeeds: new SeedSequence(0, 2), regularizer: regularizer.none(), seed: 1 } as never),
      /^featurePyramid options: unknown option 'seed' \(did you mean 'seeds'\?\)/,
    ],
    ['decodeDetections', () => decodeDetections(new Float32Array(0), new Float32Array(0), 80, { scoreThresh: 0.05 } as never), /^decodeDetections options: unknown option 'scoreThresh' \(did you mean 'scoreThreshold'\?\)/],
    ['encodeLabels', () => encodeLabels(new Float32Array(4), new Float32Array(0), [], undefined, { postive: 0.5 } as never), /^encodeLabels thresholds: unknown option 'postive' \(did you mean 'positive'\?\)/],
    ['evaluateCoco', () => evaluateCoco(GT as never, [], { img_ids: [1] } as never), /^evaluateCoco options: unknown option 'img_ids' \(did you mean 'imgIds'\?\)/],
  ];
  for (const [name, call, message] of throws) {
    it(name, () => {
      expect(call).toThrow(TypeError);
      expect(call).toThrow(message);
    });
  }

  const rejects: [string, () => Promise<unknown>, RegExp][] = [
    ['predictCoco', () => predictCoco(NET, NO_IMAGES, { batch_size: 2 } as never), /^predictCoco options: unknown option 'batch_size' \(did you mean 'batchSize'\?\)/],
    ['predictCoco decode', () => predictCoco(NET, NO_IMAGES, { decode: { maxPerClas: 10 } } as never), /^decode: unknown option 'maxPerClas' \(did you mean 'maxPerClass'\?\)/],
    ['validationLoss', () => validationLoss(NET, NO_IMAGES, { batchsize: 2 } as never), /^validationLoss options: unknown option 'batchsize' \(did you mean 'batchSize'\?\)/],
    ['trainRetinaNet', () => trainRetinaNet({ dataDir: '/nowhere', epochs: 1, learning_rate: 0.01 } as never), /^trainRetinaNet options: unknown option 'learning_rate' \(did you mean 'learningRate'\?\)/],
  ];
  for (const [name, call, message] of rejects) {
    it(name, async () => {
      await expect(call()).rejects.toThrow(TypeError);
      await expect(call()).rejects.toThrow(message);
    });
  }
});
