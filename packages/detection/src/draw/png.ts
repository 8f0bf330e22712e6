import { crc32, deflateSync } from 'node:zlib';

/** An RGB image: `height * width * 3` bytes, row-major (the layout of @db/datasets' `RgbImage`). */
export interface RgbPixels {
  data: Uint8Array;
  width: number;
  height: number;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  out.set(body, 8);
  // The CRC covers the type and the data (PNG spec, sec. 5.3).
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

/**
 * Encodes an RGB image as a PNG file (ISO/IEC 15948: 8-bit truecolour, colour type 2, no interlace; every row with
 * filter type 0 and one zlib stream in one IDAT chunk). No dependency: node:zlib deflates and checksums.
 */
export function encodePng(image: RgbPixels): Uint8Array {
  const { data, width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`width and height must be positive integers, got ${width} x ${height}`);
  }
  if (data.length !== width * height * 3) throw new RangeError(`data has ${data.length} bytes, expected ${width} x ${height} x 3 = ${width * height * 3}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, truecolour, deflate, adaptive filtering, no interlace
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}
