/**
 * Child-process script for gradient-override.test.ts (issue 8, item 8): imports `@tensorflow/tfjs` before or after
 * `useFastestBackend()` as a user's script would (under plain Node, so its CommonJS bundle dist/tf.node.js loads)
 * and prints, as one JSON line, the kernels a BatchNorm training gradient runs on wasm at each point.
 * Usage: `node --conditions=@db/source --import tsx import-order.ts before|after`
 */
const order = process.argv[2];
if (order !== 'before' && order !== 'after') throw new TypeError(`order must be 'before' or 'after', got '${order}'`);
if (order === 'before') await import('@tensorflow/tfjs');
const tf = await import('@tensorflow/tfjs-core');
const { useFastestBackend } = await import('../../../select/use-fastest-backend.js');
await useFastestBackend({ force: 'wasm', wasmThreads: 1, log: () => undefined });

/** Kernel names of the gradient of a per-channel BatchNorm (as tfjs-layers trains it), or the error's message. */
async function bnGradKernels(): Promise<string[] | string> {
  const x = tf.randomNormal([4, 5, 5, 8], 0, 1, 'float32', 1);
  const scale = tf.ones([8]);
  const offset = tf.zeros([8]);
  try {
    const info = await tf.profile(() =>
      tf.grads((a: import('@tensorflow/tfjs-core').Tensor, s: import('@tensorflow/tfjs-core').Tensor) => {
        const { mean, variance } = tf.moments(a, [0, 1, 2]);
        return tf.sum(tf.square(tf.batchNorm(a, mean, variance, offset, s, 1e-3)));
      })([x, scale]),
    );
    tf.dispose(info.result as import('@tensorflow/tfjs-core').Tensor[]);
    return info.kernels.map((k) => k.name);
  } catch (error) {
    return (error as Error).message;
  } finally {
    tf.dispose([x, scale, offset]);
  }
}

const atSelection = await bnGradKernels();
if (order === 'after') await import('@tensorflow/tfjs');
const afterImport = await bnGradKernels();
console.log(`RESULT ${JSON.stringify({ order, backend: tf.getBackend(), atSelection, afterImport })}`);
