import type { layers } from '@tensorflow/tfjs-layers';
import { isDropBlockLayer, type DropBlock2D, type DropBlock3D } from '@db/tfjs-layer';
import { describeValue } from '@db/core';

/** A DropBlock layer whose keepProb a schedule drives: a `DropBlock2D` or a `DropBlock3D` from `@db/tfjs-layer`. */
export type DropBlockLayer = DropBlock2D | DropBlock3D;

/**
 * Every DropBlock layer in `model`, in depth-first order of `model.layers`, each once.
 *
 * Layers are recognised by type (`isDropBlockLayer`), never by name, so no naming convention is needed (the study's
 * Keras callback looked up 31 layers named "0".."30"). The search descends into nested models (a `tf.Sequential`
 * or functional `tf.LayersModel` used as a layer: anything with a `layers` array) and into wrapper layers (e.g.
 * `tf.layers.timeDistributed`, which hold their inner layer in `layer`). A layer shared by several parts of the
 * model (or reachable twice) is listed once.
 *
 * @param model a `tf.LayersModel`, or any layer (a DropBlock layer alone gives a list of one).
 */
export function findDropBlockLayers(model: layers.Layer): DropBlockLayer[] {
  if (typeof model !== 'object' || model === null) {
    throw new TypeError(`model must be a tf.LayersModel or a tf.layers.Layer, got ${describeValue(model)}`);
  }
  const found: DropBlockLayer[] = [];
  const seen = new Set<unknown>();
  const visit = (layer: unknown): void => {
    if (typeof layer !== 'object' || layer === null || seen.has(layer)) return;
    seen.add(layer);
    if (isDropBlockLayer(layer)) {
      found.push(layer);
      return;
    }
    // Containers (LayersModel, Sequential, a model nested as a layer) expose their sub-layers as `layers`;
    // wrappers (TimeDistributed, Bidirectional's base) expose the wrapped layer as `layer`.
    const children = (layer as { layers?: unknown }).layers;
    if (Array.isArray(children)) for (const child of children) visit(child);
    visit((layer as { layer?: unknown }).layer);
  };
  visit(model);
  return found;
}
