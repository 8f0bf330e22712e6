/**
 * Child process of exit.device.test.ts: trains a conv one step on webgpu and returns from its last statement,
 * calling no process.exit. With NO_RELEASE=1 the exit hooks of use-webgpu.ts are removed first, to show what they
 * prevent.
 */
import * as tf from '@tensorflow/tfjs';
import { useFastestBackend } from '../../select/use-fastest-backend.js';

await useFastestBackend({ force: 'webgpu', log: () => {} });
if (process.env.NO_RELEASE === '1') {
  process.removeAllListeners('beforeExit');
  process.removeAllListeners('exit');
}
const w = tf.variable(tf.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 1));
const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 2) as tf.Tensor4D;
const optimizer = tf.train.sgd(0.1);
const loss = optimizer.minimize(() => tf.mean(tf.square(tf.conv2d(x, w as tf.Tensor4D, 1, 'same'))), true);
console.log(`loss ${(await loss!.data())[0].toFixed(4)}`);
