/**
 * Relu's gradient from its output instead of its input.
 *
 * tfjs-core's Relu gradient (gradients/Relu_grad.ts) saves the input x and returns dy * step(x). A conv net's
 * Relu input is the output of a BatchNorm or a residual Add, which then stays alive until the whole backward pass
 * ends only for this: nothing else needs it. Since relu(x) > 0 exactly where x > 0, step(relu(x)) = step(x)
 * (NaN included: relu and step both pass NaN on), so saving the output, which the next layer keeps anyway as its
 * input, gives the same gradient bit for bit and frees one full-size activation per Relu. TensorFlow's own Relu
 * gradient (nn_grad.py, _ReluGrad) takes the output for the same reason.
 *
 * Installed on every backend through ./gradient-override.ts, which keeps it in place when tfjs' Node bundles
 * register their copies of the stock gradients later, and gives way to a Relu gradient user code registers after
 * it (issue 19 item 3: before, every later registration became a fallback, and this one, correct on every backend,
 * never delegates to its fallback, so a user's guided-backprop Relu gradient never ran anywhere).
 */
import { cast, mul, step, type GradConfig, type Tensor } from '@tensorflow/tfjs-core';
import { overrideGradient } from './gradient-override.js';

/** Overrides Relu's gradient with one that saves the output. Idempotent. */
export function registerReluGradFromOutput(): void {
  overrideGradient('Relu', (): GradConfig => ({
    kernelName: 'Relu',
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved as Tensor[];
      return { x: () => mul(dy as Tensor, cast(step(y), 'float32')) };
    },
  }));
}
