import type { DropBlockLayer } from './find-layers.js';
import { describeValue } from '@db/core';
import { assertFiniteNumber, assertKeepProb } from './validate.js';

/**
 * A per-layer multiplier of the drop rate `1 - keepProb`, so different parts of a network can be regularised
 * with different strength from one schedule. Either
 * - a function `(layer, index) => factor`, `index` being the layer's position in {@link findDropBlockLayers}'
 *   order, or
 * - a map (a `Map` or a plain object) from layer name to factor; layers it does not name get factor 1, and a
 *   name that matches no DropBlock layer is an error (a typo would otherwise silently disable the scaling).
 *
 * Factors are finite and >= 0: 1 applies the schedule as is, 0 disables the layer (keepProb 1), 0.25 drops 4x
 * less. The official TensorFlow ResNet uses DropBlock in groups 3 and 4 and drops 4x less in group 3:
 * `keep_prob_g = 1 - (1 - keep_prob) / 4^(4 - g)`, i.e. factor 1/4 for group 3 and 1 for group 4.
 * See {@link scaleKeepProb} for how a factor is applied.
 */
export type LayerScale =
  | ((layer: DropBlockLayer, index: number) => number)
  | ReadonlyMap<string, number>
  | Readonly<Record<string, number>>;

/**
 * The smallest keepProb a scaled value is clamped to: a DropBlock layer needs keepProb > 0 (it rescales by the
 * kept fraction), so a factor that would push the drop rate to 1 or beyond stops just short of it.
 */
export const MIN_SCALED_KEEP_PROB = 1e-6;

/**
 * Applies a drop-rate factor to a keepProb: `1 - clamp(factor * (1 - keepProb), 0, 1 - MIN_SCALED_KEEP_PROB)`.
 *
 * The factor multiplies the *drop rate*, not keepProb, as the official TensorFlow ResNet does, so a scheduled
 * keepProb of 1.0 (start of training) stays 1.0 for every layer whatever its factor, and the relative strength of
 * the layers is the same at every point of the schedule. Factors above 1 can ask for a drop rate of 1 or more;
 * the result is clamped into the valid range (0, 1] (see {@link MIN_SCALED_KEEP_PROB}).
 *
 * @param keepProb the scheduled keepProb, in (0, 1].
 * @param factor the layer's drop-rate factor, finite and >= 0.
 */
export function scaleKeepProb(keepProb: number, factor: number): number {
  assertKeepProb(keepProb, 'keepProb');
  assertScaleFactor(factor, 'factor');
  if (factor === 1) return keepProb;
  const dropRate = Math.min(Math.max(factor * (1 - keepProb), 0), 1 - MIN_SCALED_KEEP_PROB);
  return 1 - dropRate;
}

function assertScaleFactor(value: unknown, name: string): asserts value is number {
  assertFiniteNumber(value, name);
  if (value < 0) throw new RangeError(`${name} must be a number >= 0 (a drop-rate multiplier), got ${describeValue(value)}`);
}

/**
 * The drop-rate factor of each layer of `found` (same order), from `scale`; every factor 1 without one.
 * Throws, naming `scale`, on a bad factor or on a name that matches none of the layers.
 * @internal
 */
export function resolveScaleFactors(found: readonly DropBlockLayer[], scale: LayerScale | undefined): number[] {
  if (scale === undefined) return found.map(() => 1);
  if (typeof scale === 'function') {
    return found.map((layer, i) => {
      const factor = scale(layer, i);
      assertScaleFactor(factor, `scale(layer '${layer.name}', ${i})`);
      return factor;
    });
  }
  if (typeof scale !== 'object' || scale === null) {
    throw new TypeError(`scale must be a function (layer, index) => factor or a map from layer name to factor, got ${describeValue(scale)}`);
  }
  const entries: [string, number][] =
    scale instanceof Map ? [...scale.entries()] : Object.entries(scale as Record<string, number>);
  const byName = new Map<string, number>();
  for (const [name, factor] of entries) {
    assertScaleFactor(factor, `scale['${name}']`);
    byName.set(name, factor);
  }
  const names = new Set(found.map((l) => l.name));
  const unknown = [...byName.keys()].filter((n) => !names.has(n));
  if (unknown.length > 0) {
    throw new Error(
      `scale names ${unknown.map((n) => `'${n}'`).join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} ` +
        `not DropBlock layers of the model (found: ${[...names].map((n) => `'${n}'`).join(', ') || 'none'})`,
    );
  }
  return found.map((l) => byName.get(l.name) ?? 1);
}
