/**
 * Every public options object of @db/datasets rejects a key it does not know, naming the nearest valid one
 * (issue 20, item 9): `loadCifar10({ data_dir: '...' })` used to ignore the folder and look elsewhere.
 */
import { describe, expect, it } from 'vitest';
import {
  applySubset,
  batches,
  cocoSamples,
  downloadCocoSubset,
  downloadFile,
  loadCifar10,
  loadCoco,
  loadMnist,
  readCifar10Folder,
  resolveCacheDir,
  resolveDataDir,
  toTfDataset,
  transformDetection,
  createRandom,
  type CocoDataset,
  type ImageSet,
} from './index.js';

const SET: ImageSet = { images: new Uint8Array(4 * 2 * 2 * 1), labels: new Uint8Array(4), count: 4, height: 2, width: 2, channels: 1 };
const NO_FILES = { train: [], test: '' } as never;

describe('options objects of @db/datasets reject unknown keys', () => {
  const rejects: [string, () => Promise<unknown>, RegExp][] = [
    ['loadMnist', () => loadMnist({ data_dir: '/nowhere' } as never), /^loadMnist options: unknown option 'data_dir' \(did you mean 'dataDir'\?\)/],
    ['loadMnist limit', () => loadMnist({ limit: { train: 10, tset: 5 } } as never), /^limit: unknown option 'tset' \(did you mean 'test'\?\)/],
    ['loadMnist downloadOptions', () => loadMnist({ downloadOptions: { retry: 2 } } as never), /^downloadOptions: unknown option 'retry' \(did you mean 'retries'\?\)/],
    ['loadCifar10', () => loadCifar10({ validaton: 100 } as never), /^loadCifar10 options: unknown option 'validaton' \(did you mean 'validation'\?\)/],
    ['readCifar10Folder', () => readCifar10Folder(NO_FILES, { recordPerBatch: 10 } as never), /^readCifar10Folder options: unknown option 'recordPerBatch' \(did you mean 'recordsPerBatch'\?\)/],
    ['loadCoco', () => loadCoco({ spilt: 'val2017' } as never), /^loadCoco options: unknown option 'spilt' \(did you mean 'split'\?\)/],
    ['toTfDataset', () => toTfDataset(SET, { batchSize: 2, one_hot: 10 } as never), /^toTfDataset options: unknown option 'one_hot' \(did you mean 'oneHot'\?\)/],
    ['cocoSamples', () => cocoSamples({ images: [] } as unknown as CocoDataset, { shufle: true } as never).next(), /^cocoSamples options: unknown option 'shufle' \(did you mean 'shuffle'\?\)/],
    ['cocoSamples transform', () => cocoSamples({ images: [] } as unknown as CocoDataset, { transform: { min_side: 512 } } as never).next(), /^transform: unknown option 'min_side' \(did you mean 'minSide'\?\)/],
    ['downloadCocoSubset', () => downloadCocoSubset({ images: { val2017: 1 }, max_bytes: 10 } as never), /^downloadCocoSubset options: unknown option 'max_bytes' \(did you mean 'maxBytes'\?\)/],
    ['downloadCocoSubset downloadOptions', () => downloadCocoSubset({ images: { val2017: 1 }, downloadOptions: { retry: 1 } } as never), /^downloadCocoSubset downloadOptions: unknown option 'retry' \(did you mean 'retries'\?\)/],
    ['downloadFile', () => downloadFile({ urls: ['http://x'], dest: '/tmp/x', checksum: { algorithm: 'sha256', hex: 'ab' }, retrys: 1 } as never), /^downloadFile options: unknown option 'retrys' \(did you mean 'retries'\?\)/],
  ];
  for (const [name, call, message] of rejects) {
    it(name, async () => {
      await expect(call()).rejects.toThrow(TypeError);
      await expect(call()).rejects.toThrow(message);
    });
  }

  const throws: [string, () => unknown, RegExp][] = [
    ['batches', () => batches(SET, { batchSize: 2, drop_remainder: true } as never).next(), /^batches options: unknown option 'drop_remainder' \(did you mean 'dropRemainder'\?\)/],
    ['batches augment', () => batches(SET, { batchSize: 2, augment: { padding: 1, flips: true } } as never).next(), /^augment: unknown option 'flips' \(did you mean 'flip'\?\)/],
    ['batches normalize', () => batches(SET, { batchSize: 2, normalize: { mean: [0], stdev: [1] } } as never).next(), /^normalize: unknown option 'stdev' \(did you mean 'std'\?\)/],
    ['applySubset', () => applySubset(SET, SET, { limits: 2 } as never), /^subset options: unknown option 'limits' \(did you mean 'limit'\?\)/],
    ['resolveDataDir', () => resolveDataDir({ datadir: '/x' } as never, {}), /^location options: unknown option 'datadir' \(did you mean 'dataDir'\?\)/],
    ['resolveCacheDir', () => resolveCacheDir({ cache_dir: '/x' } as never, {}), /^location options: unknown option 'cache_dir' \(did you mean 'cacheDir'\?\)/],
    [
      'transformDetection',
      () => transformDetection({ width: 2, height: 2, data: new Uint8Array(12) } as never, { width: 2, height: 2 } as never, { max_side: 4 } as never, createRandom(1)),
      /^transformDetection options: unknown option 'max_side' \(did you mean 'maxSide'\?\)/,
    ],
  ];
  for (const [name, call, message] of throws) {
    it(name, () => {
      expect(call).toThrow(TypeError);
      expect(call).toThrow(message);
    });
  }

  it('still accepts every documented key of batches and the subset options', () => {
    const all = [...batches(SET, { batchSize: 2, shuffle: true, seed: 1, epoch: 0, normalize: { mean: [0.5], std: [0.25] }, augment: { padding: 1, flip: true }, dropRemainder: true, oneHot: 2 })];
    expect(all).toHaveLength(2);
    expect(applySubset(SET, SET, { limit: { train: 3, test: 2 }, validation: 1 }).validation?.count).toBe(1);
    expect(resolveDataDir({ dataDir: '/x', cacheDir: '/y' }, {})).toBe('/x');
  });
});
