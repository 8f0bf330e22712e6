/**
 * Zero gradients for comparison and logical kernels that tfjs-core registers no gradient for.
 *
 * TensorFlow declares these ops NotDifferentiable (their output is piecewise constant, so the derivative is 0
 * almost everywhere); tfjs-core 4.22 registers a zero gradient only for GreaterEqual, Step, Sign, Round, Floor,
 * Ceil. The rest break training whenever a comparison sits on a path from a variable, which happens inside
 * tfjs-core itself: `tf.divNoNan(a, b)` is `where(equal(b, zerosLike(a / b)), 0, a / b)`, so the Equal's second
 * input depends on a, and `tf.grad` of any loss normalised with divNoNan (e.g. a focal loss divided by the
 * number of positive anchors) fails with "gradient function not found for Equal" on every backend.
 *
 * Registered only where no gradient exists, so a user's (or a future tfjs's) own gradient is never replaced.
 */
import { getGradient, registerGradient, zeros, type Tensor } from '@tensorflow/tfjs-core';

/** Kernels with no upstream gradient whose mathematical gradient is zero. */
export const ZERO_GRADIENT_KERNELS = [
  'Equal',
  'NotEqual',
  'Greater',
  'Less',
  'LessEqual',
  'LogicalAnd',
  'LogicalOr',
  'LogicalXor',
  'LogicalNot',
] as const;

export function registerZeroGradients(): void {
  for (const kernelName of ZERO_GRADIENT_KERNELS) {
    if (getGradient(kernelName) != null) continue;
    const unary = kernelName === 'LogicalNot';
    registerGradient({
      kernelName,
      inputsToSave: unary ? ['x'] : ['a', 'b'],
      // One zero tensor per input, shaped like that input (inputs may broadcast); gradients must be float32.
      gradFunc: (_dy, saved): { [input: string]: () => Tensor } => {
        const [a, b] = saved as Tensor[];
        return unary ? { x: () => zeros(a.shape) } : { a: () => zeros(a.shape), b: () => zeros(b.shape) };
      },
    });
  }
}
