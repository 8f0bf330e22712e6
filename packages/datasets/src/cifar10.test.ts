import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
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
/** The test folders hold small batches; the published ones hold 10,000 records (the default). */
const small = (recordsPerBatch: number) => ({ recordsPerBatch });
// Download tests must not see a DB_DATA_DIR or DB_OFFLINE from the environment.
const net = { sources: ['cache', 'download'] as const, download: true, log: false as const, downloadOptions: { progress: false as const }, recordsPerBatch: 3 };

describe('loadCifar10 from a data directory', () => {
  it('uses whatever training batches exist and says how many images it found', async () => {
    const dir = path.join(tmp.dir, 'two', 'cifar-10-batches-bin');
    const written = writeCifarFolder(dir, { batches: [1, 3], records: 5 });
    const logs: string[] = [];
    const d = await loadCifar10({ dataDir: path.join(tmp.dir, 'two'), download: false, log: (m) => logs.push(m), ...small(5) });
    expect(d.source).toBe('dataDir');
    expect(d.train).toMatchObject({ count: 10, height: 32, width: 32, channels: 3 });
    expect(d.test.count).toBe(5);
    // data_batch_1 then data_batch_3, in order
    expect(Array.from(d.train.labels)).toEqual([...written.data_batch_1.labels, ...written.data_batch_3.labels]);
    expect(Buffer.compare(Buffer.from(d.train.images.subarray(5 * 3072)), Buffer.from(written.data_batch_3.images))).toBe(0);
    expect(d.summary).toBe(`CIFAR-10: 2 of 5 training batches (data_batch_1, data_batch_3) = 10 training images + 5 test images from dataDir (${dir})`);
    expect(logs).toEqual([d.summary]);
    expect(d.files).toEqual(['data_batch_1.bin', 'data_batch_3.bin', 'test_batch.bin', 'batches.meta.txt'].map((f) => path.join(dir, f)));
    expect(d.classNames[9]).toBe('truck');
  });

  it('also accepts the batch files directly in the data directory, and applies limit/validation', async () => {
    const dir = path.join(tmp.dir, 'flat');
    writeCifarFolder(dir, { batches: [1], records: 6, meta: false });
    const d = await loadCifar10({ dataDir: dir, limit: 5, validation: 2, ...quiet, ...small(6) });
    expect([d.train.count, d.validation?.count, d.test.count]).toEqual([3, 2, 5]);
    // The summary counts what train holds after the split, not the batch's 6 images.
    expect(d.summary).toBe(`CIFAR-10: 1 of 5 training batches (data_batch_1) = 3 training images + 2 validation images + 5 test images from dataDir (${dir})`);
    expect(d.classNames[0]).toBe('airplane');
  });

  it('fails loudly, naming the file, on a batch whose size is not a multiple of 3073', async () => {
    const dir = path.join(tmp.dir, 'bad', 'cifar-10-batches-bin');
    writeCifarFolder(dir, { batches: [1, 2] });
    writeFileSync(path.join(dir, 'data_batch_2.bin'), new Uint8Array(CIFAR_RECORD * 3 + 100));
    const err = await loadCifar10({ dataDir: path.join(tmp.dir, 'bad'), ...quiet, ...small(4) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetFileError);
    expect((err as DatasetFileError).file).toBe(path.join(dir, 'data_batch_2.bin'));
    expect((err as Error).message).toMatch(/9319 bytes is not a positive multiple of 3073/);
  });

  it('fails loudly on a folder without a test batch or a bad meta file', async () => {
    const dir = path.join(tmp.dir, 'notest');
    writeCifarFolder(dir, { test: false });
    await expect(loadCifar10({ dataDir: dir, ...quiet, ...small(4) })).rejects.toThrow(/notest: has CIFAR-10 training batches but no test_batch\.bin/);
    const meta = path.join(tmp.dir, 'meta');
    writeCifarFolder(meta);
    writeFileSync(path.join(meta, 'batches.meta.txt'), 'cat\ndog\n');
    await expect(loadCifar10({ dataDir: meta, ...quiet, ...small(4) })).rejects.toThrow(/batches\.meta\.txt: lists 2 class names, expected 10/);
  });

  it('rejects a batch file cut at a record boundary: published batches hold exactly 10,000 records', async () => {
    // data_batch_1.bin truncated to 9,219 bytes (3 whole records) used to load as "3 training images".
    const dir = path.join(tmp.dir, 'cut-batch');
    writeCifarFolder(dir, { batches: [1], records: 4 });
    truncateSync(path.join(dir, 'data_batch_1.bin'), 3 * CIFAR_RECORD);
    const err = await loadCifar10({ dataDir: dir, ...quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetFileError);
    expect((err as DatasetFileError).file).toBe(path.join(dir, 'data_batch_1.bin'));
    expect((err as Error).message).toMatch(/data_batch_1\.bin: holds 3 CIFAR-10 records \(9219 bytes\); a published batch file holds exactly 10,000 \(30730000 bytes\)/);
  });

  it('an explicit dataDir that does not exist is an error, not a fall-through to the cache and a download', async () => {
    const cacheDir = path.join(tmp.dir, 'cache-typo');
    writeCifarFolder(path.join(cacheDir, 'cifar-10-batches-bin'), { records: 4 });
    const typo = path.join(tmp.dir, 'no-such-folder');
    const err = await loadCifar10({ dataDir: typo, cacheDir, log: false, ...small(4) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect((err as DatasetNotFoundError).tried).toEqual([`data directory ${typo} (dataDir option): does not exist`]);
  });

  it('reports every source it tried when none has the data', async () => {
    mkdirSync(path.join(tmp.dir, 'empty'));
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
    const noData = path.join(tmp.dir, 'no-data');
    mkdirSync(noData);
    const again = await loadCifar10({ cacheDir, ...quiet, ...small(3), sources: ['dataDir', 'cache'], dataDir: noData });
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

  it('stops downloading an archive larger than its published size, leaving the cache empty', async () => {
    const cacheDir = path.join(tmp.dir, 'cache-big');
    const err = await loadCifar10({ cacheDir, archive: { ...archive, size: archiveBytes.length - 1 }, ...net }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect(((err as Error).cause as DownloadError).kind).toBe('too-large');
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

  it('concurrent first-time loads in one process all succeed and share one download, round after round', async () => {
    const rounds = 10;
    const loaders = 4;
    const errors: string[] = [];
    let downloads = 0;
    for (let round = 0; round < rounds; round++) {
      const cacheDir = path.join(tmp.dir, `cache-async-${round}`);
      const before = server.hits['/cifar-10-binary.tar.gz'] ?? 0;
      const results = await Promise.allSettled(Array.from({ length: loaders }, () => loadCifar10({ cacheDir, archive, ...net })));
      for (const r of results) {
        if (r.status === 'rejected') errors.push((r.reason as Error).message.split('\n').join(' '));
        else expect([r.value.train.count, r.value.test.count]).toEqual([15, 3]);
      }
      downloads += (server.hits['/cifar-10-binary.tar.gz'] ?? 0) - before;
      expect(readdirSync(cacheDir)).toEqual(['cifar-10-batches-bin']);
    }
    expect({ failed: errors.length, of: rounds * loaders, downloads, first: errors[0] }).toEqual({
      failed: 0,
      of: rounds * loaders,
      downloads: rounds,
      first: undefined,
    });
  });

  it('concurrent first-time loads from several processes all succeed and share one download', async () => {
    const rounds = 5;
    const processes = 4;
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const script = path.join(import.meta.dirname, 'test-utils', 'load-cifar10-child.ts');
    const dir = path.join(tmp.dir, 'processes');
    mkdirSync(dir);
    const exits = Array.from({ length: processes }, (_, i) => {
      const child = spawn(process.execPath, ['--conditions=@db/source', '--import', tsx, script, dir, JSON.stringify(archive), String(i), String(rounds)], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c));
      return new Promise<string>((resolve) => child.on('close', (code) => resolve(`exit ${code} ${stderr}`)));
    });
    const all = (prefix: string) => Array.from({ length: processes }, (_, i) => path.join(dir, `${prefix}-${i}`));
    const waitFor = async (files: string[]) => {
      while (!files.every((f) => existsSync(f))) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    const errors: string[] = [];
    let downloads = 0;
    for (let round = 0; round < rounds; round++) {
      await waitFor(all(`ready-${round}`));
      const before = server.hits['/cifar-10-binary.tar.gz'] ?? 0;
      writeFileSync(path.join(dir, `go-${round}`), '');
      await waitFor(all(`done-${round}`));
      for (const file of all(`done-${round}`)) {
        const r = JSON.parse(readFileSync(file, 'utf8')) as { ok: boolean; error?: string; train?: number; test?: number };
        if (!r.ok) errors.push(r.error!.split('\n').join(' '));
        else expect([r.train, r.test]).toEqual([15, 3]);
      }
      downloads += (server.hits['/cifar-10-binary.tar.gz'] ?? 0) - before;
      expect(readdirSync(path.join(dir, `cache-${round}`))).toEqual(['cifar-10-batches-bin']);
    }
    expect(await Promise.all(exits)).toEqual(Array.from({ length: processes }, () => 'exit 0 '));
    expect({ failed: errors.length, of: rounds * processes, downloads, first: errors[0] }).toEqual({
      failed: 0,
      of: rounds * processes,
      downloads: rounds,
      first: undefined,
    });
  }, 120_000);

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
