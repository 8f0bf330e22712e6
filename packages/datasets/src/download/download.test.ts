import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadError } from '../errors.js';
import { patternBytes, tempDir } from '../test-utils/fixtures.js';
import { serve, serveAfterFailures, serveTruncated, startServer } from '../test-utils/server.js';
import { downloadFile } from './download.js';
import type { DownloadProgress } from './progress.js';
import { formatProgress, terminalProgress } from './progress.js';

const payload = patternBytes(200_000, 5);
const sha256 = createHash('sha256').update(payload).digest('hex');
const md5 = createHash('md5').update(payload).digest('hex');
const quick = { retries: 2, retryDelayMs: 5, progress: false as const };

/** Bytes the endless route managed to send before the client hung up (socket buffers included). */
let endlessSent = 0;
/** Streams up to 64 MB without a Content-Length, respecting backpressure, and counts what it sent. */
const endless = (_req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
  endlessSent = 0;
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const chunk = Buffer.alloc(64 * 1024, 7);
  const pump = () => {
    while (endlessSent < 64 * 1024 * 1024 && !res.destroyed) {
      endlessSent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
};

let server: Awaited<ReturnType<typeof startServer>>;
const tmp = tempDir();
beforeAll(async () => {
  server = await startServer({
    '/good.bin': serve(payload),
    '/good.bin.gz': serve(gzipSync(payload)),
    '/truncated.bin': serveTruncated(payload),
    '/flaky.bin': serveAfterFailures(payload, 2),
    '/down.bin': serveAfterFailures(payload, 100),
    '/endless.bin': endless,
    '/bomb.bin.gz': serve(gzipSync(Buffer.alloc(64 * 1024 * 1024))),
  });
});
afterAll(async () => {
  await server.close();
  tmp.cleanup();
});

/** Each test writes into its own folder, so "nothing half-written is left" is checked by listing it. */
function dirFor(name: string): string {
  return path.join(tmp.dir, name);
}

async function failure(p: Promise<unknown>): Promise<DownloadError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DownloadError);
  return err as DownloadError;
}

describe('downloadFile', () => {
  it('downloads a good file, verifies it and reports progress', async () => {
    const dest = path.join(dirFor('good'), 'good.bin');
    const reports: DownloadProgress[] = [];
    await downloadFile({ urls: [`${server.base}/good.bin`], dest, checksum: { algorithm: 'sha256', hex: sha256 }, ...quick, progress: (p) => reports.push(p) });
    expect(createHash('sha256').update(readFileSync(dest)).digest('hex')).toBe(sha256);
    expect(readdirSync(dirFor('good'))).toEqual(['good.bin']);
    const last = reports[reports.length - 1];
    expect(last).toMatchObject({ received: payload.length, total: payload.length, done: true, label: 'good.bin' });
    expect(last.bytesPerSecond).toBeGreaterThan(0);
    expect(formatProgress({ ...last, received: 1024 * 1024, total: 4 * 1024 * 1024, bytesPerSecond: 1024 * 1024, etaSeconds: 3, done: false })).toBe(
      'good.bin  1.0 MB / 4.0 MB  1.0 MB/s  ETA 0:03',
    );
  });

  it('draws progress on one terminal line and ends it when done', () => {
    const writes: string[] = [];
    const draw = terminalProgress({ write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream);
    const p = { label: 'f.gz', received: 512, total: 2048, bytesPerSecond: 512, etaSeconds: 3, done: false };
    draw(p);
    draw({ ...p, received: 1024 }); // within 200 ms of the last draw: skipped
    draw({ ...p, received: 2048, etaSeconds: 0, done: true });
    expect(writes).toEqual(['\r\x1b[2Kf.gz  512 B / 2.0 kB  512 B/s  ETA 0:03', '\r\x1b[2Kf.gz  2.0 kB / 2.0 kB  512 B/s\n']);
  });

  it('checks md5 (CIFAR-10 publishes md5) and gunzips on the fly, hashing the decompressed bytes', async () => {
    const dest = path.join(dirFor('gz'), 'x.bin');
    await downloadFile({ urls: [`${server.base}/good.bin`], dest, checksum: { algorithm: 'md5', hex: md5 }, ...quick });
    await downloadFile({ urls: [`${server.base}/good.bin.gz`], dest: `${dest}2`, checksum: { algorithm: 'sha256', hex: sha256 }, gunzip: true, ...quick });
    expect(Buffer.compare(readFileSync(`${dest}2`), Buffer.from(payload))).toBe(0);
  });

  it('retries a 500 and then succeeds', async () => {
    const dest = path.join(dirFor('flaky'), 'flaky.bin');
    await downloadFile({ urls: [`${server.base}/flaky.bin`], dest, checksum: { algorithm: 'sha256', hex: sha256 }, ...quick });
    expect(server.hits['/flaky.bin']).toBe(3);
    expect(readdirSync(dirFor('flaky'))).toEqual(['flaky.bin']);
  });

  it('gives up on a server that keeps answering 500, after the retries', async () => {
    const dir = dirFor('down');
    const err = await failure(downloadFile({ urls: [`${server.base}/down.bin`], dest: path.join(dir, 'd.bin'), checksum: { algorithm: 'sha256', hex: sha256 }, ...quick }));
    expect(err.kind).toBe('http');
    expect(err.message).toMatch(/HTTP 500/);
    expect(server.hits['/down.bin']).toBe(3);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports a truncated body as truncated, after retrying, leaving nothing behind', async () => {
    const dir = dirFor('truncated');
    const err = await failure(downloadFile({ urls: [`${server.base}/truncated.bin`], dest: path.join(dir, 't.bin'), checksum: { algorithm: 'sha256', hex: sha256 }, ...quick }));
    expect(err.kind).toBe('truncated');
    expect(err.message).toMatch(/truncated: received 100000 of 200000 bytes/);
    expect(server.hits['/truncated.bin']).toBe(3);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('rejects a wrong checksum without retrying and leaves nothing behind', async () => {
    const dir = dirFor('checksum');
    const before = server.hits['/good.bin'] ?? 0;
    const wrong = '0'.repeat(64);
    const err = await failure(downloadFile({ urls: [`${server.base}/good.bin`], dest: path.join(dir, 'c.bin'), checksum: { algorithm: 'sha256', hex: wrong }, ...quick }));
    expect(err.kind).toBe('checksum');
    expect(err.message).toContain(`sha256 mismatch: expected ${wrong}, got ${sha256}`);
    expect(server.hits['/good.bin']).toBe(before + 1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('with a known size, refuses a Content-Length above it without reading the body', async () => {
    const dir = dirFor('announced');
    const reports: DownloadProgress[] = [];
    const err = await failure(
      downloadFile({ urls: [`${server.base}/good.bin`], dest: path.join(dir, 'a.bin'), checksum: { algorithm: 'sha256', hex: sha256 }, size: payload.length - 1, ...quick, progress: (p) => reports.push(p) }),
    );
    expect(err.kind).toBe('too-large');
    expect(err.message).toContain(`the server announces 200000 bytes, more than the 199999 expected`);
    expect(reports).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('with a known size, aborts a body as soon as it runs past it (no Content-Length)', async () => {
    const dir = dirFor('endless');
    const err = await failure(downloadFile({ urls: [`${server.base}/endless.bin`], dest: path.join(dir, 'e.bin'), checksum: { algorithm: 'sha256', hex: sha256 }, size: 1_000_000, ...quick }));
    expect(err.kind).toBe('too-large');
    expect(err.message).toMatch(/more than the 1000000 bytes expected/);
    // Not retried (the URL serves something else), and the server was cut off long before its 64 MB.
    expect(server.hits['/endless.bin']).toBe(1);
    expect(endlessSent).toBeLessThan(16 * 1024 * 1024);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('with a known size, caps the decompressed output of a gunzipped download (a gzip bomb)', async () => {
    const dir = dirFor('bomb');
    const err = await failure(downloadFile({ urls: [`${server.base}/bomb.bin.gz`], dest: path.join(dir, 'b.bin'), checksum: { algorithm: 'sha256', hex: sha256 }, gunzip: true, size: payload.length, ...quick }));
    expect(err.kind).toBe('too-large');
    expect(err.message).toMatch(/decompresses to more than the 200000 bytes expected/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports a 404 at once, and moves on to the next mirror', async () => {
    const dir = dirFor('404');
    const err = await failure(downloadFile({ urls: [`${server.base}/missing.bin`], dest: path.join(dir, 'm.bin'), checksum: { algorithm: 'sha256', hex: sha256 }, ...quick }));
    expect(err.kind).toBe('not-found');
    expect(err.message).toMatch(/missing\.bin: HTTP 404/);
    expect(server.hits['/missing.bin']).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
    await downloadFile({ urls: [`${server.base}/missing2.bin`, `${server.base}/good.bin`], dest: path.join(dir, 'm.bin'), checksum: { algorithm: 'sha256', hex: sha256 }, ...quick });
    expect(readdirSync(dir)).toEqual(['m.bin']);
  });

  it('reports an unreachable host as a network error', async () => {
    // A port that was just free: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const dir = dirFor('offline');
    const err = await failure(downloadFile({ urls: [`http://127.0.0.1:${port}/x.bin`], dest: path.join(dir, 'x.bin'), checksum: { algorithm: 'sha256', hex: sha256 }, ...quick }));
    expect(err.kind).toBe('network');
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).toMatch(/No network\?/);
    expect(existsSync(path.join(dir, 'x.bin'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
