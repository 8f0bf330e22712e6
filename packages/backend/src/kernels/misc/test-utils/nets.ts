/**
 * Small versions of the networks this project trains (report: CustomNet, ResNet-50, DenseNet; issue 3:
 * RetinaNet with FPN), built from tf.layers so that a training step on a backend hits exactly the kernels the
 * real models hit. Widths and depths are cut down so a step runs in well under a second on the cpu backend;
 * every layer *type* and wiring pattern of the full models is present.
 */
import * as tf from '@tensorflow/tfjs';
import { dropBlock2d } from '@db/tfjs-layer';

export interface TrainableNet {
  name: string;
  /** One optimiser step on a fixed batch; returns the loss. Tensors created inside are disposed. */
  step(): Promise<number>;
  dispose(): void;
}

function convBnRelu(x: tf.SymbolicTensor, filters: number, kernel: number, strides = 1): tf.SymbolicTensor {
  let y = tf.layers.conv2d({ filters, kernelSize: kernel, strides, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ axis: 3 }).apply(y) as tf.SymbolicTensor;
  return tf.layers.reLU().apply(y) as tf.SymbolicTensor;
}

/** The report's CustomNet: 3 stages of [Conv3x3 same + ReLU + BatchNorm] x 2, MaxPool 2x2, Flatten, Dense softmax. */
export function customNet(inputSize: number, filters: number[] = [32, 64, 128], classes = 10): tf.LayersModel {
  const input = tf.input({ shape: [inputSize, inputSize, 3] });
  let x: tf.SymbolicTensor = input;
  for (const f of filters) {
    for (let i = 0; i < 2; i++) {
      x = tf.layers.conv2d({ filters: f, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.batchNormalization({ axis: 3 }).apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  }
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** ResNet-50 bottleneck (report's conv / identity blocks): 1x1 -> 3x3 -> 1x1, BN, ReLU, Add; projection when strided. */
function bottleneck(x: tf.SymbolicTensor, f: number, stride: number, project: boolean): tf.SymbolicTensor {
  let y = convBnRelu(x, f, 1, stride);
  y = convBnRelu(y, f, 3);
  y = tf.layers.conv2d({ filters: 4 * f, kernelSize: 1, padding: 'valid' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ axis: 3 }).apply(y) as tf.SymbolicTensor;
  let shortcut = x;
  if (project) {
    shortcut = tf.layers.conv2d({ filters: 4 * f, kernelSize: 1, strides: stride, padding: 'valid' }).apply(x) as tf.SymbolicTensor;
    shortcut = tf.layers.batchNormalization({ axis: 3 }).apply(shortcut) as tf.SymbolicTensor;
  }
  y = tf.layers.add().apply([y, shortcut]) as tf.SymbolicTensor;
  return tf.layers.reLU().apply(y) as tf.SymbolicTensor;
}

/** ResNet-50 style: ZeroPadding2D(3) + 7x7/2 stem + BN + ReLU + MaxPool 3x3/2, bottleneck stages, GAP, Dense. */
export function resNet(inputSize: number, widths: number[] = [8, 16], classes = 10): tf.LayersModel {
  const input = tf.input({ shape: [inputSize, inputSize, 3] });
  let x = tf.layers.zeroPadding2d({ padding: 3 }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: widths[0], kernelSize: 7, strides: 2, padding: 'valid' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ axis: 3 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.zeroPadding2d({ padding: 1 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }).apply(x) as tf.SymbolicTensor;
  widths.forEach((f, i) => {
    x = bottleneck(x, f, i === 0 ? 1 : 2, true);
    x = bottleneck(x, f, 1, false);
  });
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** DenseNet style: dense layers BN-ReLU-Conv1x1-BN-ReLU-Conv3x3 + Concatenate; transition BN-ReLU-Conv1x1-AvgPool. */
export function denseNet(inputSize: number, growth = 8, layersPerBlock = 2, blocks = 2, classes = 10): tf.LayersModel {
  const input = tf.input({ shape: [inputSize, inputSize, 3] });
  let x = tf.layers.conv2d({ filters: 2 * growth, kernelSize: 3, padding: 'same', useBias: false }).apply(input) as tf.SymbolicTensor;
  let channels = 2 * growth;
  for (let b = 0; b < blocks; b++) {
    for (let l = 0; l < layersPerBlock; l++) {
      let y = tf.layers.batchNormalization({ axis: 3 }).apply(x) as tf.SymbolicTensor;
      y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
      y = tf.layers.conv2d({ filters: 4 * growth, kernelSize: 1, useBias: false }).apply(y) as tf.SymbolicTensor;
      y = tf.layers.batchNormalization({ axis: 3 }).apply(y) as tf.SymbolicTensor;
      y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
      y = tf.layers.conv2d({ filters: growth, kernelSize: 3, padding: 'same', useBias: false }).apply(y) as tf.SymbolicTensor;
      x = tf.layers.concatenate({ axis: 3 }).apply([x, y]) as tf.SymbolicTensor;
      channels += growth;
    }
    if (b < blocks - 1) {
      x = tf.layers.batchNormalization({ axis: 3 }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
      channels = Math.floor(channels / 2);
      x = tf.layers.conv2d({ filters: channels, kernelSize: 1, useBias: false }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
    }
  }
  x = tf.layers.batchNormalization({ axis: 3 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** A classification net trained the way tfjs-layers trains it (compile + trainOnBatch, Adam, categorical CE). */
export function classifierNet(name: string, model: tf.LayersModel, batch: number, seed = 1): TrainableNet {
  const [h, w, c] = model.inputs[0].shape.slice(1) as number[];
  const classes = model.outputs[0].shape[1] as number;
  const x = tf.randomNormal([batch, h, w, c], 0, 1, 'float32', seed);
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform([batch], 0, classes, 'int32', seed + 1), classes).toFloat());
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return {
    name,
    step: async () => (await model.trainOnBatch(x, y)) as number,
    dispose: () => {
      x.dispose();
      y.dispose();
      model.dispose();
    },
  };
}

/** One optimizer step on `loss`; resolves to the loss value (the returned scalar is disposed). */
async function minimizeStep(optimizer: tf.Optimizer, loss: () => tf.Scalar): Promise<number> {
  const l = optimizer.minimize(loss, true) as tf.Scalar;
  const v = (await l.data())[0];
  l.dispose();
  return v;
}

/**
 * RetinaNet pieces (Lin et al. 2017, "Focal Loss for Dense Object Detection"): a strided conv backbone giving
 * C3..C5, an FPN (1x1 laterals, UpSampling2D nearest, Add, 3x3 output convs), shared class / box heads whose
 * per-level outputs are reshaped and concatenated, the sigmoid focal loss (alpha 0.25, gamma 2, section 3.3)
 * written with where / greater / pow / abs, normalised by the positive count with divNoNan, and a smooth-L1
 * (and Huber) box loss on the predictions of positive anchors picked with tf.gather (whose gradient is
 * UnsortedSegmentSum).
 */
export function retinaNet(inputSize: number, batch: number, width = 8, anchors = 3, classes = 4, seed = 3): TrainableNet {
  const input = tf.input({ shape: [inputSize, inputSize, 3] });
  const c2 = convBnRelu(input, width, 3, 2);
  const c3 = convBnRelu(c2, width, 3, 2);
  const c4 = convBnRelu(c3, 2 * width, 3, 2);
  const c5 = convBnRelu(c4, 4 * width, 3, 2);
  const lateral = (c: tf.SymbolicTensor) =>
    tf.layers.conv2d({ filters: width, kernelSize: 1 }).apply(c) as tf.SymbolicTensor;
  const up = (p: tf.SymbolicTensor) => tf.layers.upSampling2d({ size: [2, 2], interpolation: 'nearest' }).apply(p) as tf.SymbolicTensor;
  const p5 = lateral(c5);
  const p4 = tf.layers.add().apply([lateral(c4), up(p5)]) as tf.SymbolicTensor;
  const p3 = tf.layers.add().apply([lateral(c3), up(p4)]) as tf.SymbolicTensor;
  const smooth = (p: tf.SymbolicTensor) =>
    tf.layers.conv2d({ filters: width, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(p) as tf.SymbolicTensor;
  const levels = [smooth(p3), smooth(p4), smooth(p5)];
  // Heads are shared across levels, as in the paper (section 4, "Classification Subnet").
  const cells = (l: tf.SymbolicTensor) => (l.shape[1] as number) * (l.shape[2] as number) * anchors;
  const clsHead = tf.layers.conv2d({ filters: anchors * classes, kernelSize: 3, padding: 'same' });
  const boxHead = tf.layers.conv2d({ filters: anchors * 4, kernelSize: 3, padding: 'same' });
  const cls = tf.layers.concatenate({ axis: 1 }).apply(
    levels.map((l) => tf.layers.reshape({ targetShape: [cells(l), classes] }).apply(clsHead.apply(l)) as tf.SymbolicTensor),
  ) as tf.SymbolicTensor;
  const box = tf.layers.concatenate({ axis: 1 }).apply(
    levels.map((l) => tf.layers.reshape({ targetShape: [cells(l), 4] }).apply(boxHead.apply(l)) as tf.SymbolicTensor),
  ) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [cls, box] });
  const numAnchors = cls.shape[1] as number;

  const x = tf.randomNormal([batch, inputSize, inputSize, 3], 0, 1, 'float32', seed);
  // Anchor labels: -1 ignore, 0 background, 1..classes positive; a few positives per image.
  const rng = mulberry32(seed);
  const labels = new Int32Array(batch * numAnchors);
  const positives: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const r = rng();
    labels[i] = r < 0.05 ? 1 + Math.floor(rng() * classes) : r < 0.1 ? -1 : 0;
    if (labels[i] > 0) positives.push(i);
  }
  const labelT = tf.tensor2d(labels, [batch, numAnchors], 'int32');
  const posIdx = tf.tensor1d(positives, 'int32');
  const boxTargets = tf.randomNormal([positives.length, 4], 0, 1, 'float32', seed + 1);
  const optimizer = tf.train.adam(1e-3);

  const loss = () =>
    tf.tidy(() => {
      const [logits, boxes] = model.apply(x, { training: true }) as tf.Tensor[];
      // One-hot targets for classes 1..K (background and ignore rows are all-zero), ignore mask for -1.
      const target = tf.oneHot(tf.maximum(tf.sub(labelT, tf.scalar(1, 'int32')), tf.scalar(0, 'int32')) as tf.Tensor2D, classes).mul(tf.expandDims(tf.greater(labelT, 0), 2).toFloat());
      const valid = tf.expandDims(tf.greaterEqual(labelT, 0), 2);
      const p = tf.sigmoid(logits);
      const isPos = tf.greater(target, 0.5);
      const pt = tf.where(isPos, p, tf.sub(1, p));
      const alphaT = tf.where(isPos, tf.fill(target.shape, 0.25), tf.fill(target.shape, 0.75));
      // Stable sigmoid cross-entropy: max(z,0) - z*t + log(1 + exp(-|z|)).
      const ce = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, target)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
      const focal = tf.mul(tf.mul(alphaT, tf.pow(tf.sub(1, pt), 2)), ce);
      const focalMasked = tf.where(tf.broadcastTo(valid, focal.shape), focal, tf.zerosLike(focal));
      const numPos = tf.sum(tf.greater(labelT, 0).toFloat());
      const clsLoss = tf.divNoNan(tf.sum(focalMasked), numPos);
      // Smooth L1 (beta 1/9 as in Detectron) on positive anchors only, plus tf.losses.huberLoss for coverage.
      const posBoxes = tf.gather(tf.reshape(boxes, [-1, 4]), posIdx);
      const d = tf.abs(tf.sub(posBoxes, boxTargets));
      const beta = 1 / 9;
      const smoothL1 = tf.where(tf.less(d, beta), tf.div(tf.mul(0.5, tf.square(d)), beta), tf.sub(d, 0.5 * beta));
      const boxLoss = tf.divNoNan(tf.sum(smoothL1), numPos);
      const huber = tf.losses.huberLoss(boxTargets, posBoxes);
      return tf.addN([clsLoss, boxLoss, tf.mul(0.1, huber)]) as tf.Scalar;
    });

  return {
    name: 'RetinaNet',
    step: () => minimizeStep(optimizer, loss),
    dispose: () => {
      tf.dispose([x, labelT, posIdx, boxTargets]);
      optimizer.dispose();
      model.dispose();
    },
  };
}

/**
 * The shipped DropBlock op (`dropBlock2d` of @db/tfjs-layer: seeds uploaded with sparseToDense, block expansion by
 * an explicitly padded max pool, mask and rescale as one division) after a conv, so that its gradient is on the
 * training path: the kernels a DropBlock layer needs in training are exactly the ones this net hits.
 */
export function dropBlockNet(inputSize: number, batch: number, blockSize = 3, keepProb = 0.9, seed = 5): TrainableNet {
  // In a model (not a bare layer) so that dispose() works: tfjs-layers disposes only symbolically applied layers.
  const conv = tf.sequential({
    layers: [tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', inputShape: [inputSize, inputSize, 3] })],
  });
  const x = tf.randomNormal([batch, inputSize, inputSize, 3], 0, 1, 'float32', seed);
  const optimizer = tf.train.adam(1e-3);
  let call = 0;
  const loss = () =>
    tf.tidy(() => {
      const h = conv.apply(x, { training: true }) as tf.Tensor4D;
      const dropped = dropBlock2d(h, { keepProb, blockSize, seed: seed + call++ });
      return tf.mean(tf.square(dropped)) as tf.Scalar;
    });
  return {
    name: 'DropBlock',
    step: () => minimizeStep(optimizer, loss),
    dispose: () => {
      x.dispose();
      optimizer.dispose();
      conv.dispose();
    },
  };
}

/** Small deterministic PRNG (Mulberry32) so label layouts are the same on every backend. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builders of the five nets at test size, by name (built lazily: tfjs-layers cannot dispose an unused model). */
export const TEST_NETS: Record<string, (batch: number) => TrainableNet> = {
  CustomNet: (batch) => classifierNet('CustomNet', customNet(16, [8, 8, 16]), batch),
  ResNet: (batch) => classifierNet('ResNet', resNet(32), batch),
  DenseNet: (batch) => classifierNet('DenseNet', denseNet(16), batch),
  RetinaNet: (batch) => retinaNet(32, batch),
  DropBlock: (batch) => dropBlockNet(12, batch),
};
