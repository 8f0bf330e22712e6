/**
 * @packageDocumentation
 * RetinaNet (ResNet-50 FPN) for TensorFlow.js with the DropBlock study's regularisers in the backbone: anchors,
 * label encoding, FPN and heads, focal and smooth-L1 losses, decoding with per-class NMS, training on COCO, and an
 * evaluator that reproduces pycocotools' COCOeval for bounding boxes.
 */
export const DETECTION_PACKAGE = '@db/detection';

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
