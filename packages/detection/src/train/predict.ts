import { cocoSamples, type CocoDataset, type DetectionSample, type JpegDecoder } from '@db/datasets';
import { decodeDetections, toCocoDetections, type CocoDetection, type DecodeOptions } from '../decode/decode.js';
import type { RetinaNet } from '../model/retinanet.js';
import { batchesOf, detectionTransform, imagesToInput } from './batches.js';
import { DECODE_OPTION_KEYS, PREDICT_COCO_OPTION_KEYS, assertKnownOptions } from '../option-keys.js';

/** Options of {@link predictCoco}. */
export interface PredictCocoOptions {
  /** Images per forward pass. Default 1. */
  batchSize?: number;
  /** NMS and thresholds; default keras-io's. */
  decode?: DecodeOptions;
  /** JPEG decoder. Default `auto`. */
  decoder?: JpegDecoder;
  /** Stops between batches (the detections so far are discarded and the promise rejects). */
  signal?: AbortSignal;
}

/**
 * Detections of one batch of transformed samples in COCO's results format, in original-image pixels. The model's
 * output is read back once per batch and decoded on the CPU.
 */
export async function detectBatch(
  net: RetinaNet,
  samples: readonly DetectionSample[],
  labelToCocoId: (label: number) => number,
  decode: DecodeOptions = {},
): Promise<CocoDetection[]> {
  const input = imagesToInput(samples, net.inputSize);
  const output = net.predict(input, false);
  input.dispose();
  const data = (await output.data()) as Float32Array;
  output.dispose();
  const rows = net.anchorCount * (4 + net.numClasses);
  const out: CocoDetection[] = [];
  samples.forEach((s, b) => {
    const found = decodeDetections(data.subarray(b * rows, (b + 1) * rows), net.anchors, net.numClasses, decode);
    out.push(
      ...toCocoDetections(
        found,
        {
          imageId: s.imageId,
          scaleX: s.resizedWidth / s.originalWidth,
          scaleY: s.resizedHeight / s.originalHeight,
          width: s.originalWidth,
          height: s.originalHeight,
          flipped: s.flipped,
          resizedWidth: s.resizedWidth,
        },
        labelToCocoId,
      ),
    );
  });
  return out;
}

/**
 * Runs a trained RetinaNet over every image of a COCO split (evaluation transform at the model's input size: the
 * longer side at most `inputSize`, no flip) and returns its detections in COCO's results format
 * (`{image_id, category_id, bbox: [x, y, w, h], score}` in original pixels, COCO category ids), ready to be
 * written as a `detections.json` for a COCO evaluator.
 */
export async function predictCoco(net: RetinaNet, images: CocoDataset, options: PredictCocoOptions = {}): Promise<CocoDetection[]> {
  assertKnownOptions(options, PREDICT_COCO_OPTION_KEYS, 'predictCoco options');
  assertKnownOptions(options.decode, DECODE_OPTION_KEYS, 'decode');
  const batchSize = options.batchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${String(batchSize)}`);
  if (images.categories.length !== net.numClasses) {
    throw new RangeError(`the dataset has ${images.categories.length} categories but the model ${net.numClasses} classes`);
  }
  const samples = cocoSamples(images, { transform: detectionTransform(net.inputSize, false), decoder: options.decoder });
  const labelToCocoId = (label: number) => images.labelMap.labelToCocoId(label);
  const out: CocoDetection[] = [];
  for await (const batch of batchesOf(samples, batchSize)) {
    options.signal?.throwIfAborted();
    out.push(...(await detectBatch(net, batch, labelToCocoId, options.decode)));
  }
  return out;
}

