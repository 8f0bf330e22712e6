import type * as tfl from '@tensorflow/tfjs-layers';
import type { SeedSequence } from '../init/seeds.js';
import type { RegularizerSpec } from '../regularizer/spec.js';

/** What the functional builders (ResNet-50, DenseNet) thread through their block functions. */
export interface BuildContext {
  /** Seeds of the layer weights. */
  seeds: SeedSequence;
  /** Seeds of the regulariser masks, a separate stream so every form gets the same weights. */
  maskSeeds: SeedSequence;
  regularizer: RegularizerSpec;
}

/** `layer.apply` on symbolic tensors, typed for the functional API (which always returns symbolic tensors here). */
export function apply(layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]): tfl.SymbolicTensor {
  return layer.apply(x) as tfl.SymbolicTensor;
}
