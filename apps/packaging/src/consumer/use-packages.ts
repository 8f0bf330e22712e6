// A consumer's TypeScript file, type-checked (module/moduleResolution node16) against the installed tarballs'
// declarations: the public types must resolve and fit together.
import * as tf from '@tensorflow/tfjs';
import { computeGamma, type DataFormat } from '@db/core';
import { dropBlock2d, DropBlock2D, type DropBlockLayerArgs } from '@db/tfjs-layer';
import { DropBlockScheduler, linearSchedule, type KeepProbSchedule } from '@db/schedule';
import { useFastestBackend, type BackendChoice } from '@db/backend';
import { customNet, regularizer, type RegularizerSpec } from '@db/models';
import { loadCifar10, type Cifar10Options } from '@db/datasets';

export async function consumer(): Promise<number> {
  const choice: BackendChoice = await useFastestBackend();
  const format: DataFormat = 'channelsLast';
  const args: DropBlockLayerArgs = { blockSize: 3, keepProb: 0.9, dataFormat: format };
  const layer = new DropBlock2D(args);
  const schedule: KeepProbSchedule = linearSchedule({ target: 0.9 });
  const scheduler = new DropBlockScheduler({ schedule });
  const spec: RegularizerSpec = regularizer.dropBlock(3, 0.9);
  const model: tf.LayersModel = customNet({ inputShape: [32, 32, 3], numClasses: 10, regularizer: spec });
  const y: tf.Tensor = dropBlock2d(tf.ones([1, 8, 8, 1]), { keepProb: 0.9, blockSize: 3, training: true });
  const options: Cifar10Options = { download: false };
  void options;
  void loadCifar10;
  void scheduler;
  return computeGamma({ keepProb: 0.9, blockSize: 3, height: 8, width: 8 }) + y.size + model.countParams() + layer.blockSize + choice.backendName.length;
}
