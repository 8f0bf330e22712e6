import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DatasetFileError, DatasetNotFoundError, DownloadError } from '../errors.js';
import { encodeJpeg, rampImage, tempDir } from '../test-utils/fixtures.js';
import { serve, serveRanges, startServer, type Handler } from '../test-utils/server.js';
import { writeZip } from '../test-utils/zip.js';
import { loadCoco } from './annotations.js';
import { COCO_SUBSET_FOLDER, downloadCocoSubset } from './download.js';
import { TopLevelJsonScanner } from './json-scan.js';

/** File name COCO gives image `id`: 12 digits. */
const fileName = (id: number) => `${String(id).padStart(12, '0')}.jpg`;

interface FakeSplit {
  json: { info: unknown; licenses: unknown; images: any[]; annotations: any[]; categories: any[] };
  jpegs: Map<string, Buffer>;
}

/**
 * A small split in COCO's format: `ids.length` images of different sizes, 1-3 boxes each, annotations not grouped
 * by image (as in the official files), 3 categories with COCO-style gaps in their ids, and an info block with
 * brackets, escaped quotes and non-ASCII text to exercise the streaming scanner.
 */
function fakeSplit(ids: number[], seed: number): FakeSplit {
  const images = ids.map((id, i) => ({ id, file_name: fileName(id), width: 16 + 4 * i, height: 12 + 2 * i, license: 1 }));
  const annotations: any[] = [];
  let annId = seed * 1000;
  for (let round = 0; round < 3; round++) {
    for (const [i, im] of images.entries()) {
      if (round > i % 3) continue;
      annotations.push({
        id: annId++,
        image_id: im.id,
        category_id: [1, 3, 7][(i + round) % 3],
        bbox: [1 + round, 2, 5 + i, 4],
        area: 20 + i,
        iscrowd: 0,
        segmentation: [[1, 2, 3, 4, 5, 6]],
      });
    }
  }
  const jpegs = new Map(images.map((im) => [im.file_name, encodeJpeg(rampImage(im.width, im.height), im.width, im.height)]));
  return {
    json: {
      info: { description: 'fake "COCO" [2017] {test} \\ café', year: 2017 },
      licenses: [{ id: 1, name: 'CC BY 4.0', url: 'http://example/]' }],
      images,
      annotations,
      categories: [
        { id: 1, name: 'person', supercategory: 'person' },
        { id: 3, name: 'car', supercategory: 'vehicle' },
        { id: 7, name: 'train', supercategory: 'vehicle' },
      ],
    },
    jpegs,
  };
}

const val = fakeSplit([139, 285, 632, 724, 776], 1);
const train = fakeSplit([9, 25, 30, 34], 2);
const archive = writeZip([
  { name: 'annotations/captions_val2017.json', data: Buffer.from('{"annotations": []}') },
  { name: 'annotations/instances_train2017.json', data: Buffer.from(JSON.stringify(train.json)) },
  { name: 'annotations/instances_val2017.json', data: Buffer.from(JSON.stringify(val.json, null, 1)) },
]);
const ZIP_ROUTE = '/annotations/annotations_trainval2017.zip';

/** The first `n` images of a split and their annotations, as the subset must hold them. */
function firstImages(split: FakeSplit, n: number) {
  const images = split.json.images.slice(0, n);
  const ids = new Set(images.map((im) => im.id));
  return { images, annotations: split.json.annotations.filter((a) => ids.has(a.image_id)) };
}

describe('downloadCocoSubset (from a local HTTP server laid out as images.cocodataset.org)', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  const routes: Record<string, Handler> = {};
  const ranges: string[] = [];
  const cleanups: Array<() => void> = [];
  const quiet = { log: false as const, downloadOptions: { retries: 0, retryDelayMs: 1, idleTimeoutMs: 5000 } };

  function resetRoutes() {
    for (const k of Object.keys(routes)) delete routes[k];
    ranges.length = 0;
    routes[ZIP_ROUTE] = serveRanges(archive, { ranges });
    for (const [split, fake] of [
      ['val2017', val],
      ['train2017', train],
    ] as const) {
      for (const [name, bytes] of fake.jpegs) routes[`/${split}/${name}`] = serveRanges(bytes);
    }
  }
  function cache() {
    const t = tempDir('db-coco-dl-');
    cleanups.push(t.cleanup);
    return t.dir;
  }
  const hits = (p: string) => server.hits[p] ?? 0;

  beforeAll(async () => {
    server = await startServer(new Proxy({}, { get: (_t, p: string) => routes[p], has: (_t, p: string) => p in routes }) as never);
  });
  afterEach(() => {
    resetRoutes();
    for (const k of Object.keys(server.hits)) delete server.hits[k];
  });
  afterAll(async () => {
    await server.close();
    for (const c of cleanups) c();
  });
  resetRoutes();

  it('fetches the annotations and only the first N images, verified, into a root loadCoco reads', async () => {
    const cacheDir = cache();
    const report = await downloadCocoSubset({ cacheDir, mirror: server.base, images: { val2017: 3, train2017: 2 }, ...quiet });
    const root = path.join(cacheDir, COCO_SUBSET_FOLDER);
    expect(report.root).toBe(root);
    const wantVal = firstImages(val, 3);
    const wantTrain = firstImages(train, 2);
    expect(report.splits).toEqual([
      { split: 'val2017', images: 3, boxes: wantVal.annotations.length, downloadedImages: 3 },
      { split: 'train2017', images: 2, boxes: wantTrain.annotations.length, downloadedImages: 2 },
    ]);
    const imageBytes = [...val.jpegs.values()].slice(0, 3).concat([...train.jpegs.values()].slice(0, 2));
    expect(report.bytes).toBe(archive.length + imageBytes.reduce((n, b) => n + b.length, 0));
    // Only the images asked for were requested; the archive once.
    expect(hits(ZIP_ROUTE)).toBe(1);
    expect(val.json.images.map((im) => hits(`/val2017/${im.file_name}`))).toEqual([1, 1, 1, 0, 0]);
    expect(train.json.images.map((im) => hits(`/train2017/${im.file_name}`))).toEqual([1, 1, 0, 0]);

    const loaded = await loadCoco({ root, split: 'val2017', log: false });
    expect(loaded.images.map((im) => im.id)).toEqual([139, 285, 632]);
    expect(loaded.boxCount).toBe(wantVal.annotations.length);
    expect(loaded.categories.map((c) => c.cocoId)).toEqual([1, 3, 7]);
    expect(loaded.images[1].objects.map((o) => o.id)).toEqual(wantVal.annotations.filter((a) => a.image_id === 285).map((a) => a.id));
    const subset = JSON.parse(readFileSync(loaded.annotationFile, 'utf8'));
    expect(subset.info).toEqual(val.json.info);
    expect(subset.licenses).toEqual(val.json.licenses);
    expect(subset.annotations).toEqual(wantVal.annotations); // official order, every field kept
    expect(readFileSync(loaded.images[2].path)).toEqual(val.jpegs.get(fileName(632)));
    const trainLoaded = await loadCoco({ root, split: 'train2017', log: false });
    expect(trainLoaded.images.map((im) => im.id)).toEqual([9, 25]);
  });

  it('uses the cache when it has the images, and fetches only the new ones (not the archive) for more', async () => {
    const cacheDir = cache();
    await downloadCocoSubset({ cacheDir, mirror: server.base, images: { val2017: 2 }, ...quiet });
    const again = await downloadCocoSubset({ cacheDir, mirror: server.base, images: { val2017: 2 }, ...quiet });
    expect(again.bytes).toBe(0);
    expect(again.splits[0]).toMatchObject({ images: 2, downloadedImages: 0 });
    const fewer = await downloadCocoSubset({ cacheDir, mirror: 'http://127.0.0.1:9/nowhere', images: { val2017: 1 }, ...quiet });
    expect(fewer.splits[0]).toMatchObject({ images: 1, downloadedImages: 0 });
    const more = await downloadCocoSubset({ cacheDir, mirror: server.base, images: { val2017: 4 }, ...quiet });
    expect(more.splits[0]).toMatchObject({ images: 4, downloadedImages: 2 });
    expect(hits(ZIP_ROUTE)).toBe(1); // kept in the cache
    expect(val.json.images.map((im) => hits(`/val2017/${im.file_name}`))).toEqual([1, 1, 1, 1, 0]);
    // More than the split holds: the whole split, and afterwards any count is served from the cache.
    const all = await downloadCocoSubset({ cacheDir, mirror: server.base, images: { val2017: 50 }, ...quiet });
    expect(all.splits[0]).toMatchObject({ images: 5, downloadedImages: 1 });
    const offline = await downloadCocoSubset({ cacheDir, images: { val2017: 80 }, download: false, ...quiet });
    expect(offline.splits[0].images).toBe(5);
  });

  it('resumes a torn archive download with a Range request instead of starting again', async () => {
    const cacheDir = cache();
    routes[ZIP_ROUTE] = serveRanges(archive, { tearFirst: 1, tearAt: 0.4, ranges });
    const err = await downloadCocoSubset({ cacheDir, mirror: server.base, images: { val2017: 1 }, ...quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).kind, (err as Error).message).toBe('truncated');
    const zipPath = path.join(cacheDir, COCO_SUBSET_FOLDER, '.downloads', 'annotations_trainval2017.zip');
    expect(existsSync(zipPath)).toBe(false); // a partial file is never taken as complete
    const partial = statSync(`${zipPath}.partial`).size;
    expect(partial, (err as Error).message).toBe(Math.floor(archive.length * 0.4));
    const report = await downloadCocoSubset({ cacheDir, mirror: server.base, images: { val2017: 1 }, ...quiet });
    expect(ranges).toEqual(['', `bytes=${partial}-`]);
    expect(report.bytes).toBe(archive.length - partial + val.jpegs.get(fileName(139))!.length);
    expect(readFileSync(zipPath)).toEqual(archive);
    expect(existsSync(`${zipPath}.partial`)).toBe(false);
    // Within one call, a retry resumes too.
    const cacheDir2 = cache();
    ranges.length = 0;
    routes[ZIP_ROUTE] = serveRanges(archive, { tearFirst: 1, tearAt: 0.5, ranges });
    await downloadCocoSubset({ cacheDir: cacheDir2, mirror: server.base, images: { val2017: 1 }, ...quiet, downloadOptions: { retries: 2, retryDelayMs: 1 } });
    expect(ranges).toEqual(['', `bytes=${Math.floor(archive.length / 2)}-`]);
  });

  it('does not take a torn image as complete and resumes it on the next call', async () => {
    const cacheDir = cache();
    const name = fileName(285);
    const imageRanges: string[] = [];
    routes[`/val2017/${name}`] = serveRanges(val.jpegs.get(name)!, { tearFirst: 1, tearAt: 0.5, ranges: imageRanges });
    await expect(downloadCocoSubset({ cacheDir, mirror: server.base, images: { val2017: 3 }, ...quiet })).rejects.toThrow(/truncated/);
    const dest = path.join(cacheDir, COCO_SUBSET_FOLDER, 'val2017', name);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(path.join(cacheDir, COCO_SUBSET_FOLDER, 'val2017', fileName(139)))).toBe(true); // verified, kept
    // No annotation file lists images that are not there yet.
    expect(existsSync(path.join(cacheDir, COCO_SUBSET_FOLDER, 'annotations', 'instances_val2017.json'))).toBe(false);
    const report = await downloadCocoSubset({ cacheDir, mirror: server.base, images: { val2017: 3 }, ...quiet });
    expect(report.splits[0]).toMatchObject({ images: 3, downloadedImages: 2 });
    expect(imageRanges).toEqual(['', `bytes=${Math.floor(val.jpegs.get(name)!.length / 2)}-`]);
    expect(readFileSync(dest)).toEqual(val.jpegs.get(name));
  });

  it('rejects a corrupt JPEG, leaving nothing at its path, and names the image', async () => {
    const cacheDir = cache();
    const name = fileName(632);
    const good = val.jpegs.get(name)!;
    const corrupt = Buffer.from(good);
    corrupt.fill(0x55, 20, good.length - 2); // header kept, entropy-coded data and tables garbage
    routes[`/val2017/${name}`] = serve(corrupt);
    const err = await downloadCocoSubset({ cacheDir, mirror: server.base, images: { val2017: 3 }, ...quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetFileError);
    expect((err as Error).message).toContain(`/val2017/${name} (image id 632)`);
    const dir = path.join(cacheDir, COCO_SUBSET_FOLDER, 'val2017');
    expect(existsSync(path.join(dir, name))).toBe(false);
    expect(existsSync(path.join(dir, `${name}.partial`))).toBe(false);
    // A JPEG of the wrong size for its annotations is rejected too.
    routes[`/val2017/${name}`] = serve(val.jpegs.get(fileName(139))!);
    await expect(downloadCocoSubset({ cacheDir, mirror: server.base, images: { val2017: 3 }, ...quiet })).rejects.toThrow(
      /decodes to 16x12, the annotations say 24x16/,
    );
    resetRoutes();
    const report = await downloadCocoSubset({ cacheDir, mirror: server.base, images: { val2017: 3 }, ...quiet });
    expect(report.splits[0]).toMatchObject({ images: 3, downloadedImages: 1 });
  });

  it('rejects and removes a corrupt archive (CRC-32 mismatch)', async () => {
    const cacheDir = cache();
    const bad = Buffer.from(archive);
    // Flip a byte inside the last member's compressed data (the val2017 JSON), keeping the zip structure.
    const name = Buffer.from('annotations/instances_val2017.json');
    const at = bad.indexOf(name) + name.length + 40;
    bad[at] ^= 0xff;
    routes[ZIP_ROUTE] = serve(bad);
    const err = await downloadCocoSubset({ cacheDir, mirror: server.base, images: { val2017: 2 }, ...quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetFileError);
    expect((err as Error).message).toMatch(/instances_val2017\.json.*(corrupt|inflate|JSON)/);
    expect(existsSync(path.join(cacheDir, COCO_SUBSET_FOLDER, '.downloads', 'annotations_trainval2017.zip'))).toBe(false);
  });

  it('stops at maxBytes with an error naming the cap, keeping what it verified', async () => {
    const cacheDir = cache();
    const err = await downloadCocoSubset({ cacheDir, mirror: server.base, images: { val2017: 2 }, maxBytes: archive.length - 1, ...quiet }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).kind).toBe('too-large');
    expect((err as Error).message).toContain(`maxBytes (${archive.length - 1} bytes`);
    const first = val.jpegs.get(fileName(139))!.length;
    const err2 = await downloadCocoSubset({ cacheDir, mirror: server.base, images: { val2017: 3 }, maxBytes: archive.length + first + 10, ...quiet }).catch(
      (e: unknown) => e,
    );
    expect((err2 as DownloadError).kind).toBe('too-large');
    expect(existsSync(path.join(cacheDir, COCO_SUBSET_FOLDER, 'val2017', fileName(139)))).toBe(true);
  });

  it('offline: errors name the URL and how to point at a local copy', async () => {
    const cacheDir = cache();
    const disabled = await downloadCocoSubset({ cacheDir, images: { val2017: 2 }, download: false, ...quiet }).catch((e: unknown) => e);
    expect(disabled).toBeInstanceOf(DatasetNotFoundError);
    expect((disabled as Error).message).toContain('http://images.cocodataset.org/annotations/annotations_trainval2017.zip');
    expect((disabled as Error).message).toMatch(/root \/ dataDir.*annotations\/instances_val2017\.json and val2017\//);
    // Nothing listens on port 9 (discard) on 127.0.0.1 here: the connection is refused.
    const unreachable = await downloadCocoSubset({ cacheDir, mirror: 'http://127.0.0.1:9', images: { val2017: 2 }, ...quiet }).catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(DownloadError);
    expect((unreachable as DownloadError).kind).toBe('network');
    expect((unreachable as Error).message).toContain('http://127.0.0.1:9/annotations/annotations_trainval2017.zip');
    expect((unreachable as Error).message).toContain('local copy');
  });

  it('rejects bad arguments', async () => {
    await expect(downloadCocoSubset({ images: {} })).rejects.toThrow(/at least one split/);
    await expect(downloadCocoSubset({ images: { test2017: 3 } as never })).rejects.toThrow(/unknown split 'test2017'/);
    await expect(downloadCocoSubset({ images: { val2017: 0 } })).rejects.toThrow(/images\.val2017 must be a positive integer, got 0/);
    await expect(downloadCocoSubset({ images: { val2017: 1 }, maxBytes: -1 })).rejects.toThrow(/maxBytes/);
  });
});

describe('TopLevelJsonScanner', () => {
  it('hands over the same values and elements as JSON.parse, whatever the chunking', () => {
    const doc = JSON.stringify({ ...val.json, extra: { nested: [[1, { '}': ']' }]] } }, null, 2);
    const bytes = Buffer.from(doc);
    for (const chunkSize of [1, 7, 64, bytes.length]) {
      const values: Record<string, unknown> = {};
      const elements: Record<string, unknown[]> = { images: [], annotations: [] };
      const ended: string[] = [];
      const scanner = new TopLevelJsonScanner({
        values: new Set(['info', 'licenses', 'categories', 'extra']),
        elements: new Set(['images', 'annotations']),
        onValue: (key, raw) => (values[key] = JSON.parse(raw.toString('utf8'))),
        onElement: (key, raw) => elements[key].push(JSON.parse(raw.toString('utf8'))),
        onArrayEnd: (key) => ended.push(key),
      });
      for (let i = 0; i < bytes.length; i += chunkSize) scanner.write(Buffer.from(bytes.subarray(i, i + chunkSize)));
      scanner.end();
      const parsed = JSON.parse(doc);
      expect(values).toEqual({ info: parsed.info, licenses: parsed.licenses, categories: parsed.categories, extra: parsed.extra });
      expect(elements).toEqual({ images: parsed.images, annotations: parsed.annotations });
      expect(ended).toEqual(['images', 'annotations']);
    }
  });

  it('rejects a document that is cut or not an object', () => {
    const cut = new TopLevelJsonScanner({ values: new Set(), elements: new Set(), onValue: () => {}, onElement: () => {} });
    cut.write(Buffer.from('{"images": [{"id": 1}'));
    expect(() => cut.end()).toThrow(/ends before/);
    const array = new TopLevelJsonScanner({ values: new Set(), elements: new Set(), onValue: () => {}, onElement: () => {} });
    expect(() => array.write(Buffer.from('[1, 2]'))).toThrow(/not an object/);
  });
});

