import type * as tf from '@tensorflow/tfjs';

/** Class names of the layers a {@link RegularizerSpec} can add. */
export const REGULARIZER_CLASSES = new Set(['Dropout', 'SpatialDropout2D', 'DropBlock2D']);

type Layer = tf.layers.Layer;

/** The regulariser layers of `model`, in topological order. */
export function regularizerLayers(model: tf.LayersModel): Layer[] {
  return model.layers.filter((l) => REGULARIZER_CLASSES.has(l.getClassName()));
}

/** The layers feeding `layer` (its first call). */
export function inbound(layer: Layer): Layer[] {
  return layer.inboundNodes[0].inboundLayers as Layer[];
}

/** The single layer feeding `layer`; fails if it has several. */
export function producer(layer: Layer): Layer {
  const ins = inbound(layer);
  if (ins.length !== 1) throw new Error(`${layer.name} has ${ins.length} inbound layers`);
  return ins[0];
}

/** The layers reading `layer`'s output. */
export function consumers(model: tf.LayersModel, layer: Layer): Layer[] {
  return model.layers.filter((l) => l.inboundNodes.some((n) => n.inboundLayers.includes(layer)));
}

/** True when `layer` is a ReLU: an `Activation('relu')` or a `ReLU` layer. */
export function isRelu(layer: Layer): boolean {
  const cls = layer.getClassName();
  if (cls === 'ReLU') return true;
  return cls === 'Activation' && (layer.getConfig() as { activation?: string }).activation === 'relu';
}
