import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetFileError } from '../errors.js';
import { tempDir } from '../test-utils/fixtures.js';
import { encodeIdx, parseIdx, readIdx } from './idx.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('IDX format', () => {
  const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 11) % 256);
  const file = encodeIdx([2, 3, 4], data);

  it('writes the published header: magic 0x00000803 for 3-D bytes, big-endian sizes', () => {
    expect(Array.from(file.subarray(0, 16))).toEqual([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4]);
    expect(Array.from(encodeIdx([70000], new Uint8Array(70000)).subarray(0, 8))).toEqual([0, 0, 8, 1, 0, 1, 0x11, 0x70]);
  });

  it('reads raw and gzipped files alike', async () => {
    writeFileSync(path.join(tmp.dir, 'a-idx3-ubyte'), file);
    writeFileSync(path.join(tmp.dir, 'a-idx3-ubyte.gz'), gzipSync(file));
    for (const name of ['a-idx3-ubyte', 'a-idx3-ubyte.gz']) {
      const idx = await readIdx(path.join(tmp.dir, name), 3);
      expect(idx.shape).toEqual([2, 3, 4]);
      expect(Array.from(idx.data)).toEqual(Array.from(data));
    }
  });

  it('rejects a wrong magic number, naming the file', () => {
    const bad = file.slice();
    bad[2] = 0x0d; // float type
    expect(() => parseIdx(bad, '/x/bad-idx')).toThrow(DatasetFileError);
    expect(() => parseIdx(bad, '/x/bad-idx')).toThrow(/\/x\/bad-idx: wrong IDX magic number 0x00000d03/);
    const text = new TextEncoder().encode('<html>404</html>');
    expect(() => parseIdx(text, 'f.idx')).toThrow(/f\.idx: wrong IDX magic/);
  });

  it('rejects the wrong number of dimensions (labels file given as images)', () => {
    expect(() => parseIdx(encodeIdx([3], new Uint8Array(3)), 'labels', 3)).toThrow(/labels: .*says 1 dimension\(s\), expected 3/);
  });

  it('rejects truncated files: short data, short header, trailing bytes', () => {
    expect(() => parseIdx(file.subarray(0, file.length - 1), 'cut')).toThrow(/cut: truncated IDX file: header says \[2, 3, 4\] = 24 bytes of data, found 23/);
    expect(() => parseIdx(file.subarray(0, 10), 'hdr')).toThrow(/hdr: truncated IDX header/);
    expect(() => parseIdx(file.subarray(0, 2), 'tiny')).toThrow(/tiny: IDX file is 2 bytes/);
    const long = new Uint8Array(file.length + 3);
    long.set(file);
    expect(() => parseIdx(long, 'long')).toThrow(/long: IDX file has 3 bytes after/);
  });

  it('rejects a truncated .gz', () => {
    const gz = gzipSync(file);
    expect(() => parseIdx(gz.subarray(0, gz.length - 8), 'x.gz')).toThrow(/x\.gz: not a valid gzip file/);
  });
});
