import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { c as createTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CIFAR10_ARCHIVE, loadCifar10, type RemoteArchive } from './cifar10.js';
import { DatasetFileError, DatasetNotFoundError, DownloadError } from './errors.js';
import { CIFAR_RECORD } from './formats/cifar-binary.js';
import { tempDir, writeCifarFolder } from './test-utils/fixtures.js';
import { serve, startServer } from './test-utils/server.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
const quiet = { log: false as const, download: false };
// Download tests must not see a DB_DATA_DIR or DB_OFFLINE from the environment.
const net = { sources: ['cache', 'download'] as const, download: true, log: false as const, downloadOptions: { progress: false as const } };

describe('loadCifar10 from a data directory', () => {
  it('uses whatever training batches exist and says how many images it found', async () => {
    const dir = path.join(tmp.dir, 'two', 'cifar-10-batches-bin');
    const written = writeCifarFolder(dir, { batches: [1, 3], records: 5 });
    const logs: string[] = [];
    const d = await loadCifar10({ dataDir: path.join(tmp.dir, 'two'), download: false, log: (m) => logs.push(m) });
    expect(d.source).toBe('dataDir');
    expect(d.train).toMatchObject({ count: 10, height: 32, width: 32, channels: 3 });
    expect(d.test.count).toBe(5);
    // data_batch_1 then data_batch_3, in order
    expect(Array.from(d.train.labels)).toEqual([...written.data_batch_1.labels, ...written.data_batch_3.labels]);
    expect(Buffer.compare(Buffer.from(d.train.images.subarray(5 * 3072)), Buffer.from(written.data_batch_3.images))).toBe(0);
    expect(d.summary).toBe(`CIFAR-10: 2 of 5 training batches (data_batch_1, data_batch_3) = 10 training images + 5 test images from dataDir (${dir})`);
    expect(logs).toEqual([d.summary]);
    expect(d.classNames[9]).toBe('truck');
  });

  it('also accepts the batch files directly in the data directory, and applies limit/validation', async () => {
    const dir = path.join(tmp.dir, 'flat');
    writeCifarFolder(dir, { batches: [1], records: 6, meta: false });
    const d = await loadCifar10({ dataDir: dir, limit: 5, validation: 2, ...quiet });
    expect([d.train.count, d.validation?.count, d.test.count]).toEqual([3, 2, 5]);
    expect(d.classNames[0]).toBe('airplane');
  });

  it('fails loudly, naming the file, on a batch whose size is not a multiple of 3073', async () => {
    const dir = path.join(tmp.dir, 'bad', 'cifar-10-batches-bin');
    writeCifarFolder(dir, { batches: [1, 2] });
    writeFileSync(path.join(dir, 'data_batch_2.bin'), new Uint8Array(CIFAR_RECORD * 3 + 100));
    const err = await loadCifar10({ dataDir: path.join(tmp.dir, 'bad'), ...quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetFileError);
    expect((err as DatasetFileError).file).toBe(path.join(dir, 'data_batch_2.bin'));
    expect((err as Error).message).toMatch(/9319 bytes is not a positive multiple of 3073/);
  });

  it('fails loudly on a folder without a test batch or a bad meta file', async () => {
    const dir = path.join(tmp.dir, 'notest');
    writeCifarFolder(dir, { test: false });
    await expect(loadCifar10({ dataDir: dir, ...quiet })).rejects.toThrow(/notest: has CIFAR-10 training batches but no test_batch\.bin/);
    const meta = path.join(tmp.dir, 'meta');
    writeCifarFolder(meta);
    writeFileSync(path.join(meta, 'batches.meta.txt'), 'cat\ndog\n');
    await expect(loadCifar10({ dataDir: meta, ...quiet })).rejects.toThrow(/batches\.meta\.txt: lists 2 class names, expected 10/);
  });

  it('reports every source it tried when none has the data', async () => {
    const err = await loadCifar10({ dataDir: path.join(tmp.dir, 'empty'), cacheDir: path.join(tmp.dir, 'nocache'), ...quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect((err as Error).message).toMatch(/CIFAR-10 was not found[\s\S]*data directory .*empty: no cifar-10-batches-bin[\s\S]*nocache/);
  });
});

describe('loadCifar10 download into the cache', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let archive: RemoteArchive;
  let archiveBytes: Buffer;
  beforeAll(async () => {
    // A small archive in the published layout: cifar-10-batches-bin/ with 5 training batches of 3 images.
    const src = path.join(tmp.dir, 'archive-src');
    writeCifarFolder(path.join(src, 'cifar-10-batches-bin'), { batches: [1, 2, 3, 4, 5], records: 3 });
    const file = path.join(tmp.dir, 'cifar-10-binary.tar.gz');
    await createTar({ gzip: true, file, cwd: src }, ['cifar-10-batches-bin']);
    archiveBytes = readFileSync(file);
    server = await startServer({
      '/cifar-10-binary.tar.gz': serve(archiveBytes),
      '/cut/cifar-10-binary.tar.gz': serve(archiveBytes.subarray(0, archiveBytes.length - 200)),
    });
    archive = {
      ...CIFAR10_ARCHIVE,
      urls: [`${server.base}/cifar-10-binary.tar.gz`],
      checksum: { algorithm: 'md5', hex: createHash('md5').update(archiveBytes).digest('hex') },
      members: CIFAR10_ARCHIVE.members.map((m) => ({ path: m.path, size: m.size === undefined ? undefined : 3 * CIFAR_RECORD })),
    };
  });
  afterAll(() => server.close());

  it('downloads, verifies and extracts the archive, removes it, then loads from the cache', async () => {
    const cacheDir = path.join(tmp.dir, 'cache');
    const d = await loadCifar10({ cacheDir, archive, ...net });
    expect(d.source).toBe('download');
    expect([d.train.count, d.test.count]).toEqual([15, 3]);
    expect(readdirSync(cacheDir)).toEqual(['cifar-10-batches-bin']);
    const again = await loadCifar10({ cacheDir, ...quiet, sources: ['dataDir', 'cache'], dataDir: path.join(tmp.dir, 'no-data') });
    expect(again.source).toBe('cache');
    expect(again.summary).toMatch(/5 of 5 training batches/);
  });

  it('a mirror serving a different (cut) archive fails the md5 check and leaves the cache empty', async () => {
    const cacheDir = path.join(tmp.dir, 'cache-cut');
    const err = await loadCifar10({ cacheDir, archive: { ...archive, urls: [`${server.base}/cut/cifar-10-binary.tar.gz`] }, ...net }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect((err as Error).cause).toBeInstanceOf(DownloadError);
    expect(((err as Error).cause as DownloadError).kind).toBe('checksum');
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('reuses a verified archive left by a run stopped before extraction, without downloading', async () => {
    const cacheDir = path.join(tmp.dir, 'cache-left');
    mkdirSync(cacheDir);
    writeFileSync(path.join(cacheDir, 'cifar-10-binary.tar.gz'), archiveBytes);
    const d = await loadCifar10({ cacheDir, archive: { ...archive, urls: [`${server.base}/absent.tar.gz`] }, ...net });
    expect(d.train.count).toBe(15);
    expect(server.hits['/absent.tar.gz']).toBeUndefined();
    expect(readdirSync(cacheDir)).toEqual(['cifar-10-batches-bin']);
  });

  it('the default archive is the published one: md5 c32a1d4ab5d03f1284b67883e8d87530, six 30,730,000-byte batches', () => {
    expect(CIFAR10_ARCHIVE.urls[0]).toBe('https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz');
    expect(CIFAR10_ARCHIVE.checksum).toEqual({ algorithm: 'md5', hex: 'c32a1d4ab5d03f1284b67883e8d87530' });
    expect(CIFAR10_ARCHIVE.members.filter((m) => m.size === 30_730_000)).toHaveLength(6);
  });

  it('a mirror option replaces the URL but keeps the published checksum', async () => {
    const cacheDir = path.join(tmp.dir, 'cache-mirror');
    mkdirSync(cacheDir);
    const err = await loadCifar10({ cacheDir, mirror: `${server.base}/`, ...net }).catch((e: unknown) => e);
    const cause = (err as Error).cause as DownloadError;
    expect(cause.url).toBe(`${server.base}/cifar-10-binary.tar.gz`);
    expect(cause.kind).toBe('checksum');
    expect(cause.message).toContain('expected c32a1d4ab5d03f1284b67883e8d87530');
    expect(readdirSync(cacheDir)).toEqual([]);
  });
});
