import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import type { Dataset } from '@tensorflow/tfjs-data';
import { batchCount, batches, type BatchOptions } from './batches.js';
import type { ImageSet } from './image-set.js';
import { assertBatchOptions } from '../option-keys.js';

/**
 * One element of the dataset made by {@link toTfDataset}: a batch as tensors. `xs` is `[batch, height, width,
 * channels]` float32; `ys` is `[batch]` int32 labels, or `[batch, numClasses]` float32 one-hot labels when
 * `oneHot` is set. (A type alias, not an interface, so it satisfies tfjs-data's `TensorContainer`.)
 */
export type TensorBatch = { xs: Tensor4D; ys: Tensor };

/**
 * Wraps {@link batches} as a `tf.data` dataset of already-batched `{xs, ys}` tensors, for `model.fitDataset`.
 * Each pass over the dataset (each epoch) gets the next epoch number, so a shuffled, augmented dataset differs
 * between epochs yet is reproducible from `seed`. The dataset's `size` is its number of batches per epoch, which
 * `model.fitDataset` hands its callbacks as `params.steps` (so e.g. `DropBlockScheduler` needs no
 * `batchesPerEpoch`). Needs the optional peers `@tensorflow/tfjs-core` and
 * `@tensorflow/tfjs-data` (loaded on first use); without them use `batches`, which needs no TF.js.
 */
export async function toTfDataset(set: ImageSet, options: BatchOptions): Promise<Dataset<TensorBatch>> {
  assertBatchOptions(options, 'toTfDataset options');
  let tf: typeof import('@tensorflow/tfjs-core');
  let data: typeof import('@tensorflow/tfjs-data');
  try {
    tf = await import('@tensorflow/tfjs-core');
    data = await import('@tensorflow/tfjs-data');
  } catch (err) {
    throw new Error(
      'toTfDataset needs @tensorflow/tfjs-core and @tensorflow/tfjs-data (install @tensorflow/tfjs); ' +
        `use batches() for plain typed arrays. (${(err as Error).message})`,
      { cause: err },
    );
  }
  let epoch = options.epoch ?? 0;
  const dataset = data.generator(function* () {
    const it = batches(set, { ...options, epoch: epoch++ });
    for (const batch of it) {
      const xs = tf.tensor4d(batch.xs, batch.shape, 'float32');
      const ys =
        batch.ys instanceof Float32Array
          ? tf.tensor2d(batch.ys, [batch.size, options.oneHot as number], 'float32')
          : tf.tensor1d(batch.ys, 'int32');
      yield { xs, ys } as TensorBatch;
    }
  });
  // tf.data cannot know a generator's length (size null); every epoch yields exactly this many batches. tfjs-layers'
  // fitDataset reads it (training_dataset.ts getStepsPerEpoch) for the callbacks' params.steps and its progress bar.
  // (`size` is readonly in the typings only: tf.data's own datasets assign it the same way, Dataset.batch etc.)
  (dataset as { size: number | null }).size = batchCount(set, options.batchSize, options.dropRemainder ?? false);
  return dataset;
}
