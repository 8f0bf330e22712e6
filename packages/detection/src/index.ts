/**
 * @packageDocumentation
 * RetinaNet (ResNet-50 FPN) for TensorFlow.js with the DropBlock study's regularisers in the backbone: anchors,
 * label encoding, FPN and heads, focal and smooth-L1 losses, decoding with per-class NMS, training on COCO, and an
 * evaluator that reproduces pycocotools' COCOeval for bounding boxes.
 *
 * @example
 * ```ts
 * import { anchorCount, evaluateCoco, generateAnchors } from '@db/detection';
 *
 * console.log(anchorCount(640, 640)); // 76725: P3-P7, 9 anchors per cell
 * console.log(generateAnchors(640, 640).slice(0, 4)); // the first anchor, [cx, cy, w, h]: 4, 4, 22.63, 45.25
 *
 * // COCO mAP exactly as pycocotools: one image, one cat, one perfect and one spurious detection.
 * const groundTruth = {
 *   images: [{ id: 1, width: 100, height: 100 }],
 *   categories: [{ id: 1, name: 'cat' }],
 *   annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [10, 10, 40, 40], area: 1600, iscrowd: 0 }],
 * };
 * const { stats, lines } = evaluateCoco(groundTruth, [
 *   { image_id: 1, category_id: 1, bbox: [10, 10, 40, 40], score: 0.9 },
 *   { image_id: 1, category_id: 1, bbox: [60, 60, 30, 30], score: 0.4 },
 * ]);
 * console.log(stats[0], lines[0]); // 0.9999999999999998 (1 / (1 + 2^-52), pycocotools' eps) and its printed line, '= 1.000'
 * ```
 */

// RetinaNet: anchors, label encoding, model, losses, decoding, training (keras-io examples/vision/retinanet.py).
export {
  generateAnchors,
  anchorCount,
  featureMapSizes,
  ANCHOR_LEVELS,
  ANCHOR_STRIDES,
  ANCHOR_SIZES,
  ANCHOR_ASPECT_RATIOS,
  ANCHOR_SCALES,
  ANCHORS_PER_CELL,
} from './anchors/anchors.js';
export { iouMatrix, centerToCorners } from './encode/iou.js';
export { encodeBox, decodeBoxes, BOX_VARIANCE } from './encode/box-coder.js';
export { encodeLabels, BACKGROUND, IGNORED, type EncodedLabels, type MatchThresholds } from './encode/encode.js';
export { matchableFraction, type MatchableCount } from './encode/matchable.js';
export { featurePyramid, FPN_CHANNELS, type FpnOptions } from './model/fpn.js';
export { Head, classBiasInit, PRIOR_PROBABILITY } from './model/heads.js';
export {
  buildRetinaNet,
  reportDetectionVariants,
  RetinaNet,
  type RetinaNetOptions,
  type DetectionVariant,
} from './model/retinanet.js';
export { sigmoidFocalLoss, FOCAL_ALPHA, FOCAL_GAMMA } from './loss/focal.js';
export { retinaNetLoss, smoothL1, SMOOTH_L1_DELTA, type RetinaNetLossParts } from './loss/retinanet-loss.js';
export { nonMaxSuppression } from './decode/nms.js';
export {
  decodeDetections,
  toCocoDetections,
  type DecodeOptions,
  type ImageDetections,
  type ImageFrame,
} from './decode/decode.js';
export {
  kerasIoLearningRate,
  piecewiseConstant,
  KERAS_IO_LEARNING_RATES,
  KERAS_IO_LR_BOUNDARIES,
} from './train/learning-rate.js';
export {
  detectionTransform,
  imagesToInput,
  encodeBatch,
  batchesOf,
  CAFFE_BGR_MEAN,
  type BatchTargets,
} from './train/batches.js';
export { predictCoco, detectBatch, type PredictCocoOptions } from './train/predict.js';
export {
  trainRetinaNet,
  trainStep,
  validationLoss,
  recalibrateBatchNormOnCoco,
  type CocoRecalibrationOptions,
  type RetinaNetTrainOptions,
  type RetinaNetTrainResult,
  type EpochLog,
} from './train/train.js';
export { EpochProgress } from './train/progress.js';
export {
  imagenetBackboneFile,
  loadBackboneWeights,
  type BackboneWeights,
  type BackboneWeightsOptions,
} from './train/backbone-weights.js';
export { drawCocoDetections, type DrawCocoOptions } from './draw/coco.js';
export { drawBoxes, drawText, GROUND_TRUTH_COLOR, DETECTION_COLOR, type BoxToDraw } from './draw/draw.js';
export { encodePng, type RgbPixels } from './draw/png.js';
// End of the RetinaNet block.

// COCO evaluation (pycocotools' COCOeval for boxes) ------------------------------------------------------------
export { evaluateCoco } from './eval/coco-eval.js';
export { boxIou } from './eval/iou.js';
export type {
  CocoDetection,
  CocoEvalOptions,
  CocoEvalParams,
  CocoEvalResult,
  CocoGroundTruth,
  CocoGroundTruthAnnotation,
  CocoGroundTruthCategory,
  CocoGroundTruthImage,
} from './eval/types.js';
