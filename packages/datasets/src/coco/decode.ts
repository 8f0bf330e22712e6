import { readFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { DatasetFileError } from '../errors.js';

/** An RGB image, channels-last bytes. */
export interface RgbImage {
  /** `height * width * 3` bytes, row-major, R G B. */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/**
 * JPEG decoders: `sharp` (libvips + libjpeg-turbo through prebuilt npm binaries; fast), `jpeg-js` (pure
 * JavaScript; works everywhere), or `auto` (sharp when it loads, else jpeg-js).
 */
export type JpegDecoder = 'auto' | 'sharp' | 'jpeg-js';

type SharpFactory = typeof import('sharp').default;
let sharpModule: Promise<SharpFactory | undefined> | undefined;

/** Loads sharp once (an optional dependency: its native binary may be missing on some platforms). */
export function loadSharp(): Promise<SharpFactory | undefined> {
  sharpModule ??= import('sharp').then(
    (m) => m.default,
    () => undefined,
  );
  return sharpModule;
}

/** The decoder `auto` resolves to on this machine. */
export async function resolveDecoder(decoder: JpegDecoder = 'auto'): Promise<'sharp' | 'jpeg-js'> {
  if (decoder !== 'auto') return decoder;
  return (await loadSharp()) ? 'sharp' : 'jpeg-js';
}

/** Expands 1- or 4-channel pixels to RGB. */
function toRgb(data: Uint8Array, width: number, height: number, channels: number): Uint8Array {
  if (channels === 3) return data;
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) out[3 * i + k] = channels === 1 ? data[i] : data[channels * i + k];
  }
  return out;
}

/**
 * Decodes JPEG bytes to RGB. Grey JPEGs are expanded to three equal channels. EXIF orientation is ignored on
 * purpose: COCO's boxes are in the stored pixel grid. `file` names the image in errors.
 */
export async function decodeJpeg(bytes: Uint8Array, file: string, decoder: JpegDecoder = 'auto'): Promise<RgbImage> {
  const which = await resolveDecoder(decoder);
  const sharp = which === 'sharp' ? await loadSharp() : undefined;
  if (which === 'sharp' && !sharp) {
    throw new Error("decoder 'sharp' was asked for, but sharp is not installed or its native binary failed to load; use 'auto' or 'jpeg-js'");
  }
  try {
    if (sharp) {
      const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
      const px = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      return { data: toRgb(px, info.width, info.height, info.channels), width: info.width, height: info.height };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 2048 });
    return { data: toRgb(img.data, img.width, img.height, img.data.length / (img.width * img.height)), width: img.width, height: img.height };
  } catch (err) {
    throw new DatasetFileError(file, `cannot be decoded as JPEG with ${which} (${(err as Error).message})`);
  }
}

/** Reads and decodes a JPEG file. */
export async function readJpeg(file: string, decoder: JpegDecoder = 'auto'): Promise<RgbImage> {
  return decodeJpeg(await readFile(file), file, decoder);
}
