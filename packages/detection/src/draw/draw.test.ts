import { crc32, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { drawBoxes, drawText } from './draw.js';
import { glyph } from './font.js';
import { encodePng } from './png.js';

describe('encodePng', () => {
  it('writes a valid 8-bit RGB PNG: signature, IHDR, one IDAT of filter-0 rows, IEND, correct CRCs', () => {
    const data = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    const png = Buffer.from(encodePng({ data, width: 2, height: 2 }));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const chunks: Array<{ type: string; body: Buffer }> = [];
    for (let at = 8; at < png.length; ) {
      const length = png.readUInt32BE(at);
      const type = png.toString('latin1', at + 4, at + 8);
      const body = png.subarray(at + 8, at + 8 + length);
      expect(png.readUInt32BE(at + 8 + length), type).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
      chunks.push({ type, body });
      at += 12 + length;
    }
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const ihdr = chunks[0].body;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ...ihdr.subarray(8)]).toEqual([2, 2, 8, 2, 0, 0, 0]);
    expect([...inflateSync(chunks[1].body)]).toEqual([0, ...data.subarray(0, 6), 0, ...data.subarray(6)]);
    expect(() => encodePng({ data, width: 3, height: 2 })).toThrow(/data has 12 bytes, expected 3 x 2 x 3 = 18/);
  });
});

describe('drawBoxes', () => {
  it('draws the outline inside the box in its colour, leaves the inside and the input alone, and captions it', () => {
    const image = { data: new Uint8Array(40 * 40 * 3).fill(100), width: 40, height: 40 };
    const out = drawBoxes(image, [{ bbox: [10, 20, 20, 15], caption: 'A', color: [255, 0, 0] }], { thickness: 2, textScale: 1 });
    const at = (x: number, y: number) => [...out.data.subarray(3 * (y * 40 + x), 3 * (y * 40 + x) + 3)];
    expect(at(10, 20)).toEqual([255, 0, 0]); // top-left corner
    expect(at(29, 34)).toEqual([255, 0, 0]); // bottom-right corner, inside the box
    expect(at(11, 27)).toEqual([255, 0, 0]); // left edge, 2 px thick
    expect(at(12, 27)).toEqual([100, 100, 100]); // inside
    expect(at(30, 27)).toEqual([100, 100, 100]); // just outside
    expect(image.data.every((v) => v === 100)).toBe(true);
    // The caption 'A' sits above the box (rows 11..17 at scale 1): its top row is .###. from x = 12.
    expect([12, 13, 14, 15, 16].map((x) => at(x, 11)[0])).toEqual([0, 255, 255, 255, 0]);
    expect(glyph('a')).toEqual(glyph('A'));
  });

  it('drawText scales glyphs', () => {
    const image = { data: new Uint8Array(20 * 20 * 3), width: 20, height: 20 };
    drawText(image, '1', 2, 2, [0, 0, 255], 2);
    // '1' top row 0x04 = ..#..: column 2 of the glyph -> x 6..7 at scale 2.
    expect(image.data[3 * (2 * 20 + 6) + 2]).toBe(255);
    expect(image.data[3 * (2 * 20 + 4) + 2]).toBe(0);
  });
});
