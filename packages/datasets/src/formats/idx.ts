import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { DatasetFileError } from '../errors.js';

/**
 * The IDX format of the MNIST files (LeCun et al., http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"):
 * a 4-byte magic number `0x00 0x00 <type> <ndims>`, then `ndims` big-endian uint32 sizes, then the data,
 * row-major. MNIST uses type 0x08 (unsigned byte): labels are 1-D (magic 2049), images 3-D (magic 2051).
 */
export interface IdxArray {
  /** Sizes of each dimension, outermost first (e.g. `[60000, 28, 28]`). */
  shape: number[];
  /** The unsigned bytes, row-major. */
  data: Uint8Array;
}

/** IDX type code of unsigned bytes, the only one MNIST uses. */
const IDX_UBYTE = 0x08;

/** True when the bytes start with the gzip magic number 1f 8b (RFC 1952, section 2.3.1). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses an IDX file's bytes (raw or gzip-compressed), checking the magic number, the number of dimensions
 * and that the data is exactly as long as the header says. `file` names the file in errors.
 */
export function parseIdx(bytes: Uint8Array, file: string, expectedDims?: number): IdxArray {
  let raw = bytes;
  if (isGzip(bytes)) {
    try {
      raw = gunzipSync(bytes);
    } catch (err) {
      throw new DatasetFileError(file, `not a valid gzip file (${(err as Error).message}); truncated download?`);
    }
  }
  if (raw.length < 4) throw new DatasetFileError(file, `IDX file is ${raw.length} bytes, shorter than its header`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = view.getUint32(0, false);
  const type = raw[2];
  const dims = raw[3];
  if (raw[0] !== 0 || raw[1] !== 0 || type !== IDX_UBYTE || dims === 0) {
    throw new DatasetFileError(
      file,
      `wrong IDX magic number 0x${magic.toString(16).padStart(8, '0')} (expected 0x0000080N: unsigned bytes, N dimensions; ` +
        `MNIST labels are 0x00000801 = 2049, images 0x00000803 = 2051)`,
    );
  }
  if (expectedDims !== undefined && dims !== expectedDims) {
    throw new DatasetFileError(
      file,
      `IDX magic number 0x${magic.toString(16).padStart(8, '0')} says ${dims} dimension(s), expected ${expectedDims}`,
    );
  }
  const headerBytes = 4 + 4 * dims;
  if (raw.length < headerBytes) {
    throw new DatasetFileError(file, `truncated IDX header: ${raw.length} bytes, the ${dims}-D header needs ${headerBytes}`);
  }
  const shape: number[] = [];
  for (let d = 0; d < dims; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const expected = shape.reduce((a, b) => a * b, 1);
  const actual = raw.length - headerBytes;
  if (actual < expected) {
    throw new DatasetFileError(
      file,
      `truncated IDX file: header says [${shape.join(', ')}] = ${expected} bytes of data, found ${actual}`,
    );
  }
  if (actual > expected) {
    throw new DatasetFileError(
      file,
      `IDX file has ${actual - expected} bytes after the [${shape.join(', ')}] data its header announces`,
    );
  }
  return { shape, data: raw.subarray(headerBytes) };
}

/** Reads and parses an IDX file (raw or .gz). */
export async function readIdx(file: string, expectedDims?: number): Promise<IdxArray> {
  return parseIdx(await readFile(file), file, expectedDims);
}

/** Encodes an unsigned-byte IDX file: the inverse of {@link parseIdx} (used to write caches and test files). */
export function encodeIdx(shape: readonly number[], data: Uint8Array): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new RangeError(`encodeIdx: shape [${shape.join(', ')}] needs ${n} bytes, data has ${data.length}`);
  const out = new Uint8Array(4 + 4 * shape.length + n);
  const view = new DataView(out.buffer);
  out[2] = IDX_UBYTE;
  out[3] = shape.length;
  shape.forEach((s, d) => view.setUint32(4 + 4 * d, s, false));
  out.set(data, 4 + 4 * shape.length);
  return out;
}
