/**
 * The page's images: the first 8 records of CIFAR-10's test batch in the original binary layout (1 label byte,
 * then 1024 R, 1024 G, 1024 B bytes, row-major), shipped as a 24.6 KB asset.
 */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
export const SIDE = 32;
const RECORD = 1 + 3 * SIDE * SIDE;

/** One image as interleaved RGB floats in [0, 1], [32, 32, 3] row-major, with its label. */
export interface LabelledImage {
  label: string;
  rgb: Float32Array;
}

/** Parses CIFAR-10 binary records. */
export function parseRecords(bytes: Uint8Array): LabelledImage[] {
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    throw new RangeError(`CIFAR-10 asset size ${bytes.length} is not a positive multiple of ${RECORD} bytes`);
  }
  const plane = SIDE * SIDE;
  const images: LabelledImage[] = [];
  for (let r = 0; r < bytes.length / RECORD; r++) {
    const base = r * RECORD;
    const rgb = new Float32Array(plane * 3);
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) rgb[p * 3 + c] = bytes[base + 1 + c * plane + p] / 255;
    }
    images.push({ label: CIFAR10_CLASSES[bytes[base]] ?? `class ${bytes[base]}`, rgb });
  }
  return images;
}
