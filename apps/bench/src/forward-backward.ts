import * as tf from '@tensorflow/tfjs';

/**
 * Fastest and median milliseconds of one forward + backward pass: the gradient of `loss` with respect to `vars`,
 * no optimiser update, after one untimed warm-up pass. Each pass waits for the backend by reading the loss and one
 * gradient back.
 */
export async function forwardBackwardMs(loss: () => tf.Scalar, vars: tf.Variable[], reps: number): Promise<{ min: number; median: number }> {
  const pass = async () => {
    const { value, grads } = tf.variableGrads(loss, vars);
    await value.data();
    await Object.values(grads)[0].data();
    value.dispose();
    tf.dispose(Object.values(grads));
  };
  await pass();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    await pass();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { min: times[0], median: times[Math.floor(times.length / 2)] };
}
