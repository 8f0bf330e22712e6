import { DatasetFileError, numberArgumentError } from '../errors.js';
import type { Random } from '../random.js';
import type { CocoImage } from './annotations.js';
import type { RgbImage } from './decode.js';
import { resizeBilinear } from './resize.js';
import { DETECTION_TRANSFORM_OPTION_KEYS, assertKnownOptions } from '../option-keys.js';

/**
 * Resize, jitter, flip and pad, as the RetinaNet recipe (Lin et al. 2017, "Focal Loss for Dense Object
 * Detection", sec. 5; Keras's RetinaNet example `resize_and_pad_image`) prepares images: scale so the shorter
 * side is `minSide` (or, with `jitter`, a size drawn uniformly from `[jitter[0], jitter[1]]`), unless that makes
 * the longer side exceed `maxSide`, in which case the longer side becomes `maxSide`; then pad right and bottom
 * with zeros to a multiple of `stride` (the largest feature-pyramid stride, 128 for levels P3-P7).
 * All sizes are options so small images fit a CPU (e.g. `{ minSide: 256, maxSide: 384, jitter: [224, 288] }`).
 */
export interface DetectionTransformOptions {
  /** Target shorter side without jitter. Default 800. */
  minSide?: number;
  /** Cap on the longer side. Default 1333. */
  maxSide?: number;
  /** Draw the shorter side uniformly from this range instead of `minSide` (training). Default none. */
  jitter?: readonly [number, number] | null;
  /** Pad height and width up to a multiple of this. Default 128. */
  stride?: number;
  /** Mirror left-right with probability 1/2 (boxes follow). Default false. */
  flip?: boolean;
}

/** The Keras RetinaNet example's training settings: jitter [640, 1024], max side 1333, stride 128, flip. */
export const RETINANET_TRAIN_TRANSFORM: Readonly<DetectionTransformOptions> = {
  minSide: 800,
  maxSide: 1333,
  jitter: [640, 1024],
  stride: 128,
  flip: true,
};

/** The Keras RetinaNet example's evaluation settings: shorter side 800, max side 1333, stride 128, no flip. */
export const RETINANET_EVAL_TRANSFORM: Readonly<DetectionTransformOptions> = {
  minSide: 800,
  maxSide: 1333,
  jitter: null,
  stride: 128,
  flip: false,
};

/** An image ready for a detector, with its boxes in the same pixel grid. */
export interface DetectionSample {
  /** COCO image id. */
  imageId: number;
  /** Padded image, `height * width * 3` bytes (RGB, channels-last); padding is zeros at the right and bottom. */
  image: Uint8Array;
  /** Padded height (a multiple of `stride`). */
  height: number;
  /** Padded width (a multiple of `stride`). */
  width: number;
  /** Height of the resized image inside the padding. */
  resizedHeight: number;
  /** Width of the resized image inside the padding. */
  resizedWidth: number;
  /** Resize factor applied to the original (`resized / original`, the same for both axes up to rounding). */
  scale: number;
  /** Whether the image was mirrored. */
  flipped: boolean;
  /** Boxes as corners `[x1, y1, x2, y2]` in pixels of the resized image, 4 per object. */
  boxes: Float32Array;
  /** Contiguous labels (0..79 for COCO), one per object. */
  labels: Int32Array;
  /** COCO `iscrowd` flags (1 = crowd), one per object. */
  iscrowd: Uint8Array;
  /** Width of the original image. */
  originalWidth: number;
  /** Height of the original image. */
  originalHeight: number;
}

function positive(v: number, name: string): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw numberArgumentError(name, 'a positive number', v);
  return v;
}

/** The resized size the recipe gives an image, before padding. `random` is used only with `jitter`. */
export function targetSize(
  width: number,
  height: number,
  options: DetectionTransformOptions,
  random: Random,
): { width: number; height: number; scale: number } {
  const maxSide = positive(options.maxSide ?? 1333, 'maxSide');
  let minSide = positive(options.minSide ?? 800, 'minSide');
  if (options.jitter) {
    const [lo, hi] = options.jitter;
    if (!(lo > 0) || !(hi >= lo)) throw new RangeError(`jitter must be [low, high] with 0 < low <= high, got [${lo}, ${hi}]`);
    minSide = lo + (hi - lo) * random();
  }
  let scale = minSide / Math.min(width, height);
  if (scale * Math.max(width, height) > maxSide) scale = maxSide / Math.max(width, height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)), scale };
}

/**
 * Applies the recipe to a decoded image and its COCO objects. Fails (naming the file) when the decoded size
 * differs from the size the JSON gives, since the boxes would then be wrong.
 */
export function transformDetection(
  decoded: RgbImage,
  image: CocoImage,
  options: DetectionTransformOptions,
  random: Random,
): DetectionSample {
  assertKnownOptions(options, DETECTION_TRANSFORM_OPTION_KEYS, 'transformDetection options');
  if (decoded.width !== image.width || decoded.height !== image.height) {
    throw new DatasetFileError(
      image.path,
      `decodes to ${decoded.width}x${decoded.height}, but the annotations say ${image.width}x${image.height}`,
    );
  }
  const stride = options.stride ?? 128;
  if (!Number.isInteger(stride) || stride <= 0) throw numberArgumentError('stride', 'a positive integer', stride);
  const flipped = (options.flip ?? false) && random() < 0.5;
  const size = targetSize(image.width, image.height, options, random);
  const resized = resizeBilinear(decoded, size.width, size.height);
  const width = Math.ceil(size.width / stride) * stride;
  const height = Math.ceil(size.height / stride) * stride;
  const out = new Uint8Array(width * height * 3);
  const rowBytes = size.width * 3;
  for (let y = 0; y < size.height; y++) {
    const src = resized.data.subarray(y * rowBytes, (y + 1) * rowBytes);
    const dst = y * width * 3;
    if (!flipped) out.set(src, dst);
    else {
      for (let x = 0; x < size.width; x++) {
        const s = (size.width - 1 - x) * 3;
        out[dst + 3 * x] = src[s];
        out[dst + 3 * x + 1] = src[s + 1];
        out[dst + 3 * x + 2] = src[s + 2];
      }
    }
  }
  // Per-axis factors: rounding the resized size makes them differ from `scale` by under half a pixel.
  const fx = size.width / image.width;
  const fy = size.height / image.height;
  const n = image.objects.length;
  const boxes = new Float32Array(n * 4);
  const labels = new Int32Array(n);
  const iscrowd = new Uint8Array(n);
  image.objects.forEach((o, i) => {
    const [x, y, w, h] = o.bbox;
    const x1 = x * fx;
    const x2 = (x + w) * fx;
    boxes[4 * i] = flipped ? size.width - x2 : x1;
    boxes[4 * i + 1] = y * fy;
    boxes[4 * i + 2] = flipped ? size.width - x1 : x2;
    boxes[4 * i + 3] = (y + h) * fy;
    labels[i] = o.label;
    iscrowd[i] = o.iscrowd ? 1 : 0;
  });
  return {
    imageId: image.id,
    image: out,
    height,
    width,
    resizedHeight: size.height,
    resizedWidth: size.width,
    scale: size.scale,
    flipped,
    boxes,
    labels,
    iscrowd,
    originalWidth: image.width,
    originalHeight: image.height,
  };
}
