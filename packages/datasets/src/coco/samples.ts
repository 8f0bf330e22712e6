import { createRandom, mixSeed, shuffledIndices } from '../random.js';
import type { CocoDataset, CocoImage } from './annotations.js';
import { readJpeg, type JpegDecoder } from './decode.js';
import { transformDetection, type DetectionSample, type DetectionTransformOptions, RETINANET_EVAL_TRANSFORM } from './transform.js';
import { COCO_SAMPLE_OPTION_KEYS, DETECTION_TRANSFORM_OPTION_KEYS, assertKnownOptions } from '../option-keys.js';

/** Options of {@link cocoSamples}. */
export interface CocoSampleOptions {
  /** Resize / jitter / flip / pad settings. Default {@link RETINANET_EVAL_TRANSFORM}. */
  transform?: DetectionTransformOptions;
  /** JPEG decoder. Default `auto` (sharp when it loads, else jpeg-js). */
  decoder?: JpegDecoder;
  /** Visit images in a seeded random order. Default false (JSON order). */
  shuffle?: boolean;
  /** Seed of the order, jitter and flips. Default 0. */
  seed?: number;
  /** Epoch number, mixed into the seed. Default 0. */
  epoch?: number;
}

/** Decodes one COCO image and applies the transform (`random` drives jitter and flip). */
export async function loadDetectionSample(
  image: CocoImage,
  options: Pick<CocoSampleOptions, 'transform' | 'decoder'> = {},
  random: () => number = createRandom(0),
): Promise<DetectionSample> {
  const decoded = await readJpeg(image.path, options.decoder ?? 'auto');
  return transformDetection(decoded, image, options.transform ?? RETINANET_EVAL_TRANSFORM, random);
}

/**
 * Yields one {@link DetectionSample} per image of a COCO split: decoded, resized, optionally jittered and
 * flipped, padded. Reproducible for a given `seed` and `epoch`. Images are decoded one at a time, so memory
 * stays at one image.
 */
export async function* cocoSamples(dataset: CocoDataset, options: CocoSampleOptions = {}): AsyncGenerator<DetectionSample, void, undefined> {
  assertKnownOptions(options, COCO_SAMPLE_OPTION_KEYS, 'cocoSamples options');
  assertKnownOptions(options.transform, DETECTION_TRANSFORM_OPTION_KEYS, 'transform');
  const seed = mixSeed(options.seed ?? 0, options.epoch ?? 0);
  const n = dataset.images.length;
  const order = options.shuffle ? shuffledIndices(n, createRandom(seed)) : Uint32Array.from({ length: n }, (_, i) => i);
  const random = createRandom(mixSeed(seed, 0xc0c0));
  for (const i of order) yield await loadDetectionSample(dataset.images[i], options, random);
}
