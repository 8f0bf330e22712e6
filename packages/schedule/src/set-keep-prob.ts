import type { layers } from '@tensorflow/tfjs-layers';
import { findDropBlockLayers, type DropBlockLayer } from './find-layers.js';
import { resolveScaleFactors, scaleKeepProb, type LayerScale } from './scale.js';
import { assertKeepProb } from './validate.js';

/**
 * Sets the keepProb of every DropBlock layer in `model` (found by {@link findDropBlockLayers}) to `keepProb`,
 * or, with `scale`, to `scaleKeepProb(keepProb, factor)` per layer. For custom training loops and for
 * evaluation set-ups that want a fixed value; takes effect at the layers' next training call.
 *
 * @returns the layers that were set, in search order (empty if the model has none).
 */
export function setKeepProb(model: layers.Layer, keepProb: number, scale?: LayerScale): DropBlockLayer[] {
  assertKeepProb(keepProb, 'keepProb');
  const found = findDropBlockLayers(model);
  const factors = resolveScaleFactors(found, scale);
  found.forEach((layer, i) => {
    layer.keepProb = scaleKeepProb(keepProb, factors[i]);
  });
  return found;
}
