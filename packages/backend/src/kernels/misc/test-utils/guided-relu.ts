/**
 * A guided-backpropagation Relu gradient (Springenberg et al. 2015, "Striving for Simplicity", section 3.4): only
 * positive gradients flow back, and only where the input was positive, dx = relu(dy) * step(x). The user-side
 * gradient of issue 19 item 3: with x = [-3, 2, 5] and dy = [4, -7, 11] it gives [0, 0, 11] where the plain Relu
 * gradient gives [0, -7, 11].
 */
import type * as Core from '@tensorflow/tfjs-core';

export const GUIDED_X = [-3, 2, 5];
export const GUIDED_DY = [4, -7, 11];
export const GUIDED_DX = [0, 0, 11];
export const PLAIN_DX = [0, -7, 11];

/** The gradient config, built with the given tfjs-core (the user's copy). `calls.n` counts its runs. */
export function guidedReluGradient(tf: typeof Core, calls: { n: number } = { n: 0 }): Core.GradConfig {
  return {
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      calls.n++;
      const [x] = saved as Core.Tensor[];
      return { x: () => tf.mul(tf.relu(dy as Core.Tensor), tf.step(x)) };
    },
  };
}

/** dx of relu at GUIDED_X for GUIDED_DY on `backend`, as numbers. */
export async function reluGradOn(tf: typeof Core, backend: string): Promise<number[]> {
  await tf.setBackend(backend);
  const x = tf.tensor1d(GUIDED_X);
  const dy = tf.tensor1d(GUIDED_DY);
  const [dx] = tf.grads((a: Core.Tensor) => tf.relu(a))([x], dy);
  const values = Array.from(await dx.data());
  tf.dispose([x, dy, dx]);
  return values;
}
