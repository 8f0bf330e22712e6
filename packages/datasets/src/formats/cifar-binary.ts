import { readFile } from 'node:fs/promises';
import { DatasetFileError } from '../errors.js';

/**
 * CIFAR-10's binary format (Krizhevsky, https://www.cs.toronto.edu/~kriz/cifar.html, "Binary version"):
 * each record is 1 label byte then 3072 pixel bytes: the 1024 red values of the 32x32 image, row-major, then
 * the 1024 green, then the 1024 blue. A batch file is records back to back (10,000 in the published ones).
 */
export const CIFAR_SIDE = 32;
/** Bytes per image (3 planes of 32x32). */
export const CIFAR_PIXELS = 3 * CIFAR_SIDE * CIFAR_SIDE;
/** Bytes per record: 1 label + 3072 pixels. */
export const CIFAR_RECORD = 1 + CIFAR_PIXELS;

/** A parsed CIFAR batch: pixels converted to channels-last (HWC, RGB), as TF.js's default `NHWC` layout wants. */
export interface CifarBatch {
  /** `count * 32 * 32 * 3` bytes, image-major, then row, column, channel (R, G, B). */
  images: Uint8Array;
  /** One label (0-9) per image. */
  labels: Uint8Array;
  /** Number of records. */
  count: number;
}

/**
 * Parses one batch file's bytes. Fails, naming the file, when the size is not a multiple of 3073 or a label
 * is outside `0..numClasses-1`.
 */
export function parseCifarBatch(bytes: Uint8Array, file: string, numClasses = 10): CifarBatch {
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD !== 0) {
    throw new DatasetFileError(
      file,
      `CIFAR binary size ${bytes.length} bytes is not a positive multiple of ${CIFAR_RECORD} (1 label + 3072 pixel bytes per image); ` +
        `truncated or not a CIFAR-10 batch`,
    );
  }
  const count = bytes.length / CIFAR_RECORD;
  const labels = new Uint8Array(count);
  const images = new Uint8Array(count * CIFAR_PIXELS);
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  for (let i = 0; i < count; i++) {
    const rec = i * CIFAR_RECORD;
    const label = bytes[rec];
    if (label >= numClasses) {
      throw new DatasetFileError(file, `record ${i} has label ${label}, outside 0..${numClasses - 1}`);
    }
    labels[i] = label;
    const src = rec + 1;
    const dst = i * CIFAR_PIXELS;
    // Planar CHW -> interleaved HWC.
    for (let p = 0; p < plane; p++) {
      const o = dst + 3 * p;
      images[o] = bytes[src + p];
      images[o + 1] = bytes[src + plane + p];
      images[o + 2] = bytes[src + 2 * plane + p];
    }
  }
  return { images, labels, count };
}

/** Reads and parses a CIFAR-10 batch file. */
export async function readCifarBatch(file: string, numClasses = 10): Promise<CifarBatch> {
  return parseCifarBatch(await readFile(file), file, numClasses);
}

/** Encodes images (HWC, RGB) and labels as a CIFAR binary batch: the inverse of {@link parseCifarBatch}. */
export function encodeCifarBatch(images: Uint8Array, labels: Uint8Array): Uint8Array {
  const count = labels.length;
  if (images.length !== count * CIFAR_PIXELS) {
    throw new RangeError(`encodeCifarBatch: ${count} labels need ${count * CIFAR_PIXELS} image bytes, got ${images.length}`);
  }
  const out = new Uint8Array(count * CIFAR_RECORD);
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  for (let i = 0; i < count; i++) {
    const rec = i * CIFAR_RECORD;
    out[rec] = labels[i];
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) out[rec + 1 + c * plane + p] = images[i * CIFAR_PIXELS + 3 * p + c];
    }
  }
  return out;
}
