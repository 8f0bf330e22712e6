/**
 * Adam's update one variable at a time (issue 19 item 1: the peak of a training step).
 *
 * tfjs-core's `AdamOptimizer.applyGradients` (optimizers/adam_optimizer.ts) runs the update of every variable inside
 * one `tidy`, so the ~11 parameter-sized temporaries of each variable's update (beta1 * m, (1 - beta1) * g, m', g^2,
 * ..., the new value) all stay alive until the last variable is done: for ResNet-50 (23.5 M parameters, 94 MB)
 * that is ~1.1 GB at the end of every step, more than its activations at 32x32 and the peak of the whole step.
 *
 * This replacement runs the same ops, with the same scalars, in the same order (so the variables end bit-identical)
 * but gives each variable's update its own `tidy`: at most one variable's temporaries are alive at a time. On wasm
 * with @db/backend's kernels the same arithmetic runs as one kernel per variable (../kernels/misc/adam-update.ts). The
 * moment slots are created and indexed exactly as upstream does (by position in the gradient list), and
 * accBeta1 / accBeta2 and the iteration count are updated once per call, as there.
 *
 * Optimizer classes belong to a copy of tfjs-core (a process can hold several: tfjs' Node bundle brings its own);
 * {@link setLeanAdamEnabled} patches the `AdamOptimizer` of the copy this package imports, and
 * {@link leanOptimizer} the class of a given optimizer instance (e.g. `model.optimizer` after `model.compile`).
 */
import {
  AdamOptimizer,
  add,
  div,
  engine,
  mul,
  sqrt,
  square,
  sub,
  tidy,
  zerosLike,
  type NamedAttrMap,
  type NamedTensorMap,
  type Optimizer,
  type Scalar,
  type Tensor,
  type Variable,
} from '@tensorflow/tfjs-core';
import { ADAM_UPDATE, adamUpdateKernel } from '../kernels/misc/adam-update.js';

/** tfjs-core's NamedTensor (optimizers take a list of these or a map). */
interface NamedTensor {
  name: string;
  tensor: Tensor;
}

interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: Variable;
  accBeta2: Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: Variable } | undefined)[];
  incrementIterations(): void;
  getClassName(): string;
}

function leanApplyGradients(this: AdamInternals, variableGradients: NamedTensorMap | NamedTensor[]): void {
  const list = Array.isArray(variableGradients);
  const varNames = list ? (variableGradients as NamedTensor[]).map((v) => v.name) : Object.keys(variableGradients);
  tidy(() => {
    const oneMinusAccBeta1 = sub(1, this.accBeta1);
    const oneMinusAccBeta2 = sub(1, this.accBeta2);
    const registered = (engine() as unknown as { registeredVariables: Record<string, Variable> }).registeredVariables;
    const fused = adamUpdateKernel();
    varNames.forEach((name, i) => {
      const value = registered[name];
      const trainable = false;
      if (this.accumulatedFirstMoment[i] == null) {
        this.accumulatedFirstMoment[i] = { originalName: `${name}/m`, variable: tidy(() => zerosLike(value).variable(trainable)) };
      }
      if (this.accumulatedSecondMoment[i] == null) {
        this.accumulatedSecondMoment[i] = { originalName: `${name}/v`, variable: tidy(() => zerosLike(value).variable(trainable)) };
      }
      const gradient = list ? (variableGradients as NamedTensor[])[i].tensor : (variableGradients as NamedTensorMap)[name];
      if (gradient == null) return;
      // The one change: this variable's temporaries are freed before the next variable's update starts.
      tidy(() => {
        const firstMoment = this.accumulatedFirstMoment[i]!.variable;
        const secondMoment = this.accumulatedSecondMoment[i]!.variable;
        if (fused && value.dtype === 'float32' && gradient.dtype === 'float32') {
          // On wasm, the same arithmetic as one kernel (../kernels/misc/adam-update.ts), bit-identical.
          const attrs = { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, learningRate: this.learningRate };
          const inputs = { value, m: firstMoment, v: secondMoment, gradient, oneMinusAccBeta1, oneMinusAccBeta2 };
          const [w, m, v] = engine().runKernel(ADAM_UPDATE, inputs, attrs as unknown as NamedAttrMap) as Tensor[];
          firstMoment.assign(m);
          secondMoment.assign(v);
          value.assign(w);
          return;
        }
        const newFirstMoment = add(mul(firstMoment, this.beta1), mul(gradient, 1 - this.beta1));
        const newSecondMoment = add(mul(secondMoment, this.beta2), mul(square(gradient), 1 - this.beta2));
        const biasCorrectedFirstMoment = div(newFirstMoment, oneMinusAccBeta1);
        const biasCorrectedSecondMoment = div(newSecondMoment, oneMinusAccBeta2);
        firstMoment.assign(newFirstMoment);
        secondMoment.assign(newSecondMoment);
        const newValue = add(
          mul(div(biasCorrectedFirstMoment, add(sqrt(biasCorrectedSecondMoment), this.epsilon)), -this.learningRate),
          value,
        );
        value.assign(newValue);
      });
    });
    this.accBeta1.assign(mul(this.accBeta1, this.beta1) as Scalar);
    this.accBeta2.assign(mul(this.accBeta2, this.beta2) as Scalar);
  });
  this.incrementIterations();
}

const STOCK = Symbol.for('@db/backend.stockAdamApply');
type Proto = Record<string | symbol, unknown>;

function patch(proto: Proto, on: boolean): void {
  if (on && proto[STOCK] == null) {
    proto[STOCK] = proto.applyGradients;
    proto.applyGradients = leanApplyGradients;
  } else if (!on && proto[STOCK] != null) {
    proto.applyGradients = proto[STOCK];
    delete proto[STOCK];
  }
}

const patched = new Set<Proto>();

/** Patches (or restores) Adam in the copy of tfjs-core this package imports, and every class patched before. */
export function setLeanAdamEnabled(on = true): void {
  patched.add(AdamOptimizer.prototype as unknown as Proto);
  for (const proto of patched) patch(proto, on);
}

/**
 * Makes `optimizer`'s class update one variable at a time if it is tfjs' Adam (from whichever copy of tfjs-core it
 * came from); other optimizers are returned unchanged. Returns the optimizer.
 */
export function leanOptimizer<T extends Optimizer>(optimizer: T): T {
  const o = optimizer as unknown as AdamInternals;
  if (typeof o.getClassName === 'function' && o.getClassName() === 'Adam' && o.accumulatedFirstMoment != null) {
    const proto = Object.getPrototypeOf(optimizer) as Proto;
    patched.add(proto);
    patch(proto, (AdamOptimizer.prototype as unknown as Proto)[STOCK] != null);
  }
  return optimizer;
}

