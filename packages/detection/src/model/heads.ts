import * as tfl from '@tensorflow/tfjs-layers';
import type { SeedSequence } from '@db/models';
import { FPN_CHANNELS } from './fpn.js';

/** Prior probability of foreground at initialisation (Lin et al. 2017, sec. 4.1 "Initialization": pi = 0.01). */
export const PRIOR_PROBABILITY = 0.01;

/**
 * A RetinaNet subnet (Lin et al. 2017, sec. 4 "Classification Subnet" / "Box Regression Subnet"; keras-io
 * `build_head`): 4 x [3x3 conv 256, ReLU] and a 3x3 output conv of `outputFilters`, every kernel drawn from
 * N(0, 0.01). Built once and applied to every pyramid level, so its weights are shared across levels.
 */
export class Head {
  private readonly layers: tfl.layers.Layer[] = [];

  constructor(name: string, outputFilters: number, biasInit: number, seeds: SeedSequence) {
    const kernel = () => tfl.initializers.randomNormal({ mean: 0, stddev: 0.01, seed: seeds.next() });
    for (let i = 0; i < 4; i++) {
      this.layers.push(
        tfl.layers.conv2d({ filters: FPN_CHANNELS, kernelSize: 3, padding: 'same', kernelInitializer: kernel(), name: `${name}_conv${i + 1}` }),
        tfl.layers.reLU({ name: `${name}_relu${i + 1}` }),
      );
    }
    this.layers.push(
      tfl.layers.conv2d({
        filters: outputFilters,
        kernelSize: 3,
        padding: 'same',
        kernelInitializer: kernel(),
        biasInitializer: tfl.initializers.constant({ value: biasInit }),
        name: `${name}_out`,
      }),
    );
  }

  /** Applies the subnet to one pyramid level (the layers are shared between calls). */
  apply(x: tfl.SymbolicTensor): tfl.SymbolicTensor {
    return this.layers.reduce((y, layer) => layer.apply(y) as tfl.SymbolicTensor, x);
  }
}

/** Bias of the class output conv, -log((1 - pi) / pi), so every anchor starts at foreground probability pi. */
export function classBiasInit(prior = PRIOR_PROBABILITY): number {
  return -Math.log((1 - prior) / prior);
}
