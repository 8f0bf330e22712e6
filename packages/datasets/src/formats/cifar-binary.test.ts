import { describe, expect, it } from 'vitest';
import { DatasetFileError } from '../errors.js';
import { CIFAR_RECORD, encodeCifarBatch, parseCifarBatch } from './cifar-binary.js';

describe('CIFAR-10 binary format', () => {
  it('reads label then R, G, B planes into channels-last pixels', () => {
    const rec = new Uint8Array(2 * CIFAR_RECORD);
    for (let i = 0; i < 2; i++) {
      const o = i * CIFAR_RECORD;
      rec[o] = 7 - i;
      for (let p = 0; p < 1024; p++) {
        rec[o + 1 + p] = (p + i) % 256; // R
        rec[o + 1 + 1024 + p] = 200; // G
        rec[o + 1 + 2048 + p] = p >> 2; // B
      }
    }
    const b = parseCifarBatch(rec, 'batch');
    expect(b.count).toBe(2);
    expect(Array.from(b.labels)).toEqual([7, 6]);
    // image 1, row 2, column 5 -> plane index p = 2 * 32 + 5 = 69
    const o = 3072 + (2 * 32 + 5) * 3;
    expect(Array.from(b.images.subarray(o, o + 3))).toEqual([70, 200, 17]);
    expect(Array.from(encodeCifarBatch(b.images, b.labels))).toEqual(Array.from(rec));
  });

  it('rejects a size that is not a multiple of 3073, naming the file', () => {
    const bad = new Uint8Array(CIFAR_RECORD * 2 - 1);
    expect(() => parseCifarBatch(bad, '/d/data_batch_3.bin')).toThrow(DatasetFileError);
    expect(() => parseCifarBatch(bad, '/d/data_batch_3.bin')).toThrow(/\/d\/data_batch_3\.bin: CIFAR binary size 6145 bytes is not a positive multiple of 3073/);
    expect(() => parseCifarBatch(new Uint8Array(0), 'empty.bin')).toThrow(/empty\.bin: CIFAR binary size 0/);
  });

  it('rejects a label outside 0..9 (e.g. a CIFAR-100 file)', () => {
    const rec = new Uint8Array(CIFAR_RECORD * 2);
    rec[CIFAR_RECORD] = 42;
    expect(() => parseCifarBatch(rec, 'c100.bin')).toThrow(/c100\.bin: record 1 has label 42, outside 0\.\.9/);
  });
});
