/**
 * Shapes instead of tensors for gradients that only read their inputs' shapes (issue 19 item 1).
 *
 * tfjs keeps what a gradient needs by saving tensors at forward time: for each kernel run under a tape the engine
 * asks `getTensorsForGradient(kernelName, inputs, outputs)` for the gradient config's `inputsToSave` /
 * `outputsToSave`, and `saveTensorsForBackwardMode` keeps a clone of each (engine.ts), which holds the input's
 * buffer alive until the backward pass. Add's and Sub's gradients (gradients/Add_grad.ts, Sub_grad.ts) save both
 * inputs only to read `a.shape` and `b.shape` (the broadcast axes to sum dy over); Reshape's saves x for `x.shape`;
 * Concat's every input for their sizes along the axis; Sum's and Mean's x for `x.shape` (and ours for `x.dtype`). In a residual net every Add keeps its BatchNorm input
 * alive that way (~100 MB at 256 px for RetinaNet, issue 19), and in a detector head every Reshape its conv output.
 *
 * For a kernel whose registered gradient carries {@link SHAPES_ONLY} (only this package's configs do: the
 * overrides below, Sum and Mean in ../kernels/misc/reduction-grads.ts), the two engine methods are wrapped on the
 * engine singleton so that what is saved is a stand-in holding the tensor's shape, dtype, rank and size, with a
 * no-op `dispose`: no clone, no buffer held. A gradient registered by user code instead (it wins, see
 * ../kernels/misc/gradient-override.ts) has no mark and gets real tensors. The overrides compute exactly the stock
 * formulas with the same ops, so gradients are bit-identical.
 */
import { backend_util, engine, getGradient, neg, reshape, split, sum, util, type GradConfig, type Tensor } from '@tensorflow/tfjs-core';
import { overrideGradient } from '../kernels/misc/gradient-override.js';

/** Marks a gradient config whose function reads only `shape`, `dtype`, `rank` and `size` of its saved tensors. */
export const SHAPES_ONLY = Symbol.for('@db/backend.savesShapesOnly');
const STAND_IN = Symbol.for('@db/backend.shapeStandIn');

/** Marks `config` as reading only shapes of what it saves (see the module comment). Returns it. */
export function shapesOnly<T extends GradConfig>(config: T): T {
  (config as unknown as Record<symbol, boolean>)[SHAPES_ONLY] = true;
  return config;
}

/** What is saved instead of a tensor: its shape and dtype, nothing to free. */
function standIn(t: Tensor): Tensor {
  const s = { shape: t.shape.slice(), dtype: t.dtype, rank: t.rank, size: t.size, isDisposed: false, dispose() {} };
  (s as unknown as Record<symbol, boolean>)[STAND_IN] = true;
  return Object.freeze(s) as unknown as Tensor;
}

const isStandIn = (t: unknown) => t != null && (t as Record<symbol, boolean>)[STAND_IN] === true;

interface EngineSaving {
  getTensorsForGradient(kernelName: string, inputs: Record<string, Tensor>, outputs: Tensor[]): Tensor[];
  saveTensorsForBackwardMode(tensors: Tensor[]): Tensor[];
}

const INSTALLED = Symbol.for('@db/backend.shapeOnlySaves');

/** Installs (`on`) or removes the engine wrappers (see the module comment). Idempotent. */
export function setShapeOnlySavesEnabled(on = true): void {
  const e = engine() as unknown as EngineSaving & Record<string | symbol, unknown>;
  const installed = e[INSTALLED] === true;
  if (on && !installed) {
    const proto = Object.getPrototypeOf(e) as EngineSaving;
    e.getTensorsForGradient = function (this: EngineSaving, kernelName, inputs, outputs) {
      const tensors = proto.getTensorsForGradient.call(this, kernelName, inputs, outputs);
      const config = getGradient(kernelName) as unknown as Record<symbol, boolean> | undefined;
      return config?.[SHAPES_ONLY] === true ? tensors.map((t) => (t == null ? t : standIn(t))) : tensors;
    };
    e.saveTensorsForBackwardMode = function (this: EngineSaving, tensors) {
      if (!tensors.some(isStandIn)) return proto.saveTensorsForBackwardMode.call(this, tensors);
      return tensors.map((t) => (isStandIn(t) ? t : proto.saveTensorsForBackwardMode.call(this, [t])[0]));
    };
    e[INSTALLED] = true;
  } else if (!on && installed) {
    const own = e as Record<string | symbol, unknown>;
    delete own.getTensorsForGradient;
    delete own.saveTensorsForBackwardMode;
    delete own[INSTALLED];
  }
}

/** dy summed over the axes `shape` was broadcast along, reshaped to `shape` (stock Add / Sub gradient, per input). */
function unbroadcast(dy: Tensor, shape: number[], outShape: number[]): Tensor {
  let res = dy;
  const reduceAxes = backend_util.getReductionAxes(shape, outShape);
  if (reduceAxes.length > 0) res = sum(res, reduceAxes);
  return res;
}

/** The stock Add / Sub gradient (dy unbroadcast to each input; negated for Sub's `b`), saving only the shapes. */
function broadcastGradient(kernelName: 'Add' | 'Sub', negateB: boolean): GradConfig {
  return shapesOnly({
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      return {
        a: () => reshape(unbroadcast(dy as Tensor, a.shape, outShape), a.shape),
        b: () => {
          const db = unbroadcast(dy as Tensor, b.shape, outShape);
          return reshape(negateB ? neg(db) : db, b.shape);
        },
      };
    },
  });
}

/** Registers the shape-only Add, Sub, Reshape and Concat gradients (overrides: a user's own gradient wins). Idempotent. */
export function registerShapeOnlyGradients(): void {
  overrideGradient('Add', () => broadcastGradient('Add', false));
  overrideGradient('Sub', () => broadcastGradient('Sub', true));
  // Concat (gradients/Concat_grad.ts) saves every input to read their sizes along the axis: in a DenseNet that is
  // what keeps each layer's new feature maps alive, in a detector each level's head output.
  overrideGradient('Concat', () =>
    shapesOnly({
      kernelName: 'Concat',
      saveAllInputs: true,
      gradFunc: (dy, saved, attrs) => {
        const { axis } = attrs as unknown as { axis: number | number[] };
        const $axis = util.parseAxisParam(axis, saved[0].shape)[0];
        const derTensors = split(dy as Tensor, saved.map((t) => t.shape[$axis]), $axis);
        return derTensors.map((t) => () => t) as unknown as Record<string, () => Tensor>;
      },
    }),
  );
  overrideGradient('Reshape', () =>
    shapesOnly({
      kernelName: 'Reshape',
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => {
        const [x] = saved;
        return { x: () => reshape(dy as Tensor, x.shape) };
      },
    }),
  );
}
