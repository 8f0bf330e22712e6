import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  describeRegularizer,
  regularizer as reg,
  resnet50Backbone,
  SeedSequence,
  validateRegularizer,
  type RegularizerSpec,
} from '@db/models';
import { ANCHORS_PER_CELL, featureMapSizes, generateAnchors } from '../anchors/anchors.js';
import { featurePyramid } from './fpn.js';
import { classBiasInit, Head } from './heads.js';
import { RETINANET_OPTION_KEYS, assertKnownOptions } from '../option-keys.js';

/** Options of {@link buildRetinaNet}. */
export interface RetinaNetOptions {
  /** Side of the square input in pixels, a multiple of 128 (the stride of P7). Default 640. */
  inputSize?: number;
  /** Number of object classes (80 for COCO). Default 80. */
  numClasses?: number;
  /**
   * Regulariser inside the ResNet-50 backbone, after the ReLU of the first and second conv of every bottleneck
   * block, as @db/models places it (the report: "we have inserted inside ResNet-50 FPN the DropBlock method").
   * Default none.
   */
  regularizer?: RegularizerSpec;
  /** Also apply the regulariser to each FPN output level P3..P7. Default false. */
  regularizeFpn?: boolean;
  /** Seed of every kernel initialiser and regulariser mask. Default 0. */
  seed?: number;
  /** Bottleneck blocks per backbone stage; default ResNet-50's [3, 4, 6, 3]. Smaller counts are for quick tests. */
  stageBlocks?: readonly [number, number, number, number];
  /**
   * Epsilon of the backbone's BatchNormalization layers (@db/models' default unless given). Keras' ImageNet
   * ResNet-50 was trained with 1.001e-5 (`KERAS_RESNET50_NOTOP_WEIGHTS.batchNormEpsilon`): use it with those weights.
   */
  batchNormEpsilon?: number;
}

/** Weight streams of the seed (the backbone uses 0 and 1 inside @db/models). */
const FPN_STREAM = 10;
const HEAD_STREAM = 11;
const FPN_MASK_STREAM = 12;

/**
 * A RetinaNet (Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017) as keras-io's example builds it:
 * ResNet-50 C3..C5, FPN P3..P7, shared class and box subnets. `model` maps a batch of preprocessed images
 * `[batch, inputSize, inputSize, 3]` to `[batch, anchors, 4 + numClasses]`: per anchor (in {@link generateAnchors}
 * order) 4 box regression outputs then one logit per class.
 */
export class RetinaNet {
  /** The whole detector, one tfjs LayersModel. */
  readonly model: tfl.LayersModel;
  /** The ResNet-50 backbone inside `model` (layer names as @db/models gives them), for loading pretrained weights. */
  readonly backbone: tfl.LayersModel;
  /** Square input side in pixels. */
  readonly inputSize: number;
  /** Number of classes. */
  readonly numClasses: number;
  /** Anchors of the input size, centre form `[cx, cy, w, h]`, aligned with the model's output rows. */
  readonly anchors: Float32Array;
  /** The regulariser it was built with. */
  readonly regularizer: RegularizerSpec;

  constructor(fields: { model: tfl.LayersModel; backbone: tfl.LayersModel; inputSize: number; numClasses: number; regularizer: RegularizerSpec }) {
    this.model = fields.model;
    this.backbone = fields.backbone;
    this.inputSize = fields.inputSize;
    this.numClasses = fields.numClasses;
    this.regularizer = fields.regularizer;
    this.anchors = generateAnchors(fields.inputSize, fields.inputSize);
  }

  /** Number of anchors (rows of the output). */
  get anchorCount(): number {
    return this.anchors.length / 4;
  }

  /** Runs the detector on preprocessed images; `training` switches BatchNorm and the regulariser to training mode. */
  predict(images: tf.Tensor4D, training = false): tf.Tensor3D {
    return this.model.apply(images, { training }) as tf.Tensor3D;
  }

  /** Frees the weights. */
  dispose(): void {
    this.model.dispose();
    // tfjs-layers counts one reference per symbolic application of a layer (topology.ts, Layer.apply) and
    // model.dispose() removes one per layer, so the heads, applied to each of the 5 levels, kept their weights
    // (20 tensors per detector). Release their remaining references.
    for (const layer of this.model.layers) {
      let refs = (layer as unknown as { _refCount: number | null })._refCount;
      while (refs !== null && refs > 0) refs = layer.dispose().refCountAfterDispose;
    }
  }
}

/**
 * Builds a {@link RetinaNet}. Every form of the regulariser starts from identical weights for a given seed (the
 * masks use separate seed streams).
 *
 * @example
 * ```ts
 * const net = buildRetinaNet({ inputSize: 256, numClasses: 80, regularizer: regularizer.dropBlock(7, 0.9) });
 * net.model.countParams(); // 38,048,372 at 80 classes, whatever the input size
 * ```
 */
export function buildRetinaNet(options: RetinaNetOptions = {}): RetinaNet {
  assertKnownOptions(options, RETINANET_OPTION_KEYS, 'buildRetinaNet options');
  const inputSize = options.inputSize ?? 640;
  if (!Number.isInteger(inputSize) || inputSize < 128 || inputSize % 128 !== 0) {
    throw new RangeError(`inputSize must be a positive multiple of 128 (the stride of P7), got ${String(inputSize)}`);
  }
  const numClasses = options.numClasses ?? 80;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`numClasses must be a positive integer, got ${String(numClasses)}`);
  const regularizer = validateRegularizer(options.regularizer ?? reg.none());
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${String(seed)}`);

  const backbone = resnet50Backbone({
    inputShape: [inputSize, inputSize, 3],
    regularizer,
    seed,
    ...(options.stageBlocks ? { stageBlocks: options.stageBlocks } : {}),
    ...(options.batchNormEpsilon !== undefined ? { batchNormEpsilon: options.batchNormEpsilon } : {}),
  });
  // The detector is built on the backbone's own input and outputs, one flat graph, rather than applying the
  // backbone model as a layer: tfjs-layers' executor (engine/executor.ts, execute) applies a nested layer once per
  // output it fetches, so a nested 3-output backbone ran three times per forward pass (three times the compute,
  // three sets of activations kept for the backward pass, BatchNorm's moving statistics updated three times).
  const input = backbone.inputs[0];
  const [c3, c4, c5] = backbone.outputs;
  const levels = featurePyramid(c3, c4, c5, {
    seeds: new SeedSequence(seed, FPN_STREAM),
    maskSeeds: new SeedSequence(seed, FPN_MASK_STREAM),
    regularizer: options.regularizeFpn ? regularizer : reg.none(),
  });
  const headSeeds = new SeedSequence(seed, HEAD_STREAM);
  const classHead = new Head('cls_head', ANCHORS_PER_CELL * numClasses, classBiasInit(), headSeeds);
  const boxHead = new Head('box_head', ANCHORS_PER_CELL * 4, 0, headSeeds);
  const sizes = featureMapSizes(inputSize, inputSize);
  const flat = (x: tfl.SymbolicTensor, width: number, cells: number, name: string) =>
    tfl.layers.reshape({ targetShape: [cells * ANCHORS_PER_CELL, width], name }).apply(x) as tfl.SymbolicTensor;
  const boxes: tfl.SymbolicTensor[] = [];
  const classes: tfl.SymbolicTensor[] = [];
  levels.forEach((p, i) => {
    const cells = sizes[i][0] * sizes[i][1];
    boxes.push(flat(boxHead.apply(p), 4, cells, `box_p${i + 3}_flat`));
    classes.push(flat(classHead.apply(p), numClasses, cells, `cls_p${i + 3}_flat`));
  });
  const box = tfl.layers.concatenate({ axis: 1, name: 'box_outputs' }).apply(boxes) as tfl.SymbolicTensor;
  const cls = tfl.layers.concatenate({ axis: 1, name: 'cls_outputs' }).apply(classes) as tfl.SymbolicTensor;
  const output = tfl.layers.concatenate({ axis: -1, name: 'predictions' }).apply([box, cls]) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: output, name: 'retinanet' });
  return new RetinaNet({ model, backbone, inputSize, numClasses, regularizer });
}

/** One row of the report's RetinaNet table: a stable key, the row's label and the regulariser. */
export interface DetectionVariant {
  /** Stable key, for file names and lookups. */
  readonly key: string;
  /** The row label as the report writes it, e.g. `RetinaNet + DropBlock(bs = 7, kp = 0.7)`. */
  readonly label: string;
  /** The regulariser to build the RetinaNet with. */
  readonly regularizer: RegularizerSpec;
}

/**
 * The seven rows of the report's "RetinaNet on ResNet-50 FPN" table, in its order: none, Dropout(0.25),
 * SpatialDropout(0.7), DropBlock (7, 0.7), (7, 0.9), (3, 0.7), (3, 0.9).
 */
export function reportDetectionVariants(): readonly DetectionVariant[] {
  const rows: Array<[string, RegularizerSpec]> = [
    ['none', reg.none()],
    ['dropout', reg.dropout(0.25)],
    ['spatialDropout', reg.spatialDropout(0.7)],
    ['dropBlock7-0.7', reg.dropBlock(7, 0.7)],
    ['dropBlock7-0.9', reg.dropBlock(7, 0.9)],
    ['dropBlock3-0.7', reg.dropBlock(3, 0.7)],
    ['dropBlock3-0.9', reg.dropBlock(3, 0.9)],
  ];
  return rows.map(([key, spec]) => ({
    key,
    label: spec.kind === 'none' ? 'RetinaNet' : `RetinaNet + ${describeRegularizer(spec)}`,
    regularizer: spec,
  }));
}
