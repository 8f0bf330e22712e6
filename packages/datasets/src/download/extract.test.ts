import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header, c as createTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetFileError } from '../errors.js';
import { patternBytes, tempDir } from '../test-utils/fixtures.js';
import { extractTarGz } from './extract.js';

const tmp = tempDir();
const archive = path.join(tmp.dir, 'a.tar.gz');
// Incompressible content, so cutting the archive in half really cuts a member.
const a = patternBytes(50_000, 1);
const b = patternBytes(30_000, 2);
beforeAll(async () => {
  mkdirSync(path.join(tmp.dir, 'src', 'top'), { recursive: true });
  writeFileSync(path.join(tmp.dir, 'src', 'top', 'a.bin'), a);
  writeFileSync(path.join(tmp.dir, 'src', 'top', 'b.bin'), b);
  await createTar({ gzip: true, file: archive, cwd: path.join(tmp.dir, 'src') }, ['top']);
});
afterAll(tmp.cleanup);

describe('extractTarGz', () => {
  it('extracts a tar.gz and moves its top folder into place', async () => {
    const dest = path.join(tmp.dir, 'out');
    mkdirSync(dest);
    const top = await extractTarGz(archive, dest, 'top', [{ path: 'top/a.bin', size: a.length }, { path: 'top/b.bin' }]);
    expect(top).toBe(path.join(dest, 'top'));
    expect(readdirSync(dest)).toEqual(['top']);
    expect(readdirSync(top).sort()).toEqual(['a.bin', 'b.bin']);
    expect(Buffer.compare(readFileSync(path.join(top, 'b.bin')), Buffer.from(b))).toBe(0);
  });

  it('rejects a truncated archive, naming it, and leaves no partial folder', async () => {
    const cut = path.join(tmp.dir, 'cut.tar.gz');
    const bytes = readFileSync(archive);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const dest = path.join(tmp.dir, 'out-cut');
    mkdirSync(dest);
    const err = await extractTarGz(cut, dest, 'top', []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetFileError);
    expect((err as Error).message).toMatch(/cut\.tar\.gz: truncated or corrupt tar\.gz archive/);
    expect(readdirSync(dest)).toEqual([]);
  });

  it('rejects an archive that lacks an expected member or has it at the wrong size', async () => {
    const dest = path.join(tmp.dir, 'out-missing');
    mkdirSync(dest);
    await expect(extractTarGz(archive, dest, 'top', [{ path: 'top/c.bin' }])).rejects.toThrow(/a\.tar\.gz: archive is truncated or incomplete: it lacks top\/c\.bin/);
    await expect(extractTarGz(archive, dest, 'top', [{ path: 'top/a.bin', size: 30_730_000 }])).rejects.toThrow(/top\/a\.bin is 50000 bytes, expected 30730000/);
    expect(readdirSync(dest)).toEqual([]);
  });

  it('a bad entry mid-archive: waits for extraction to stop, keeps the error naming the archive, leaves nothing', async () => {
    // A good entry, a `../` entry, then 300 more files: tar in strict mode rejects at the `../` entry but goes on
    // writing the 300; cleaning up before it stops used to fail (ENOTEMPTY) and leave a partial .extract-* folder.
    const evil = path.join(tmp.dir, 'evil.tar.gz');
    writeFileSync(evil, gzipSync(tarOf([['top/good.bin', a.subarray(0, 1000)], ['../escape.bin', b.subarray(0, 10)], ...Array.from({ length: 300 }, (_, i) => [`top/many/f${i}.bin`, a.subarray(i, i + 2000)] as [string, Uint8Array])])));
    for (let run = 0; run < 3; run++) {
      const dest = path.join(tmp.dir, `out-evil-${run}`);
      mkdirSync(dest);
      const err = await extractTarGz(evil, dest, 'top', []).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatasetFileError);
      expect((err as DatasetFileError).file).toBe(evil);
      expect((err as Error).message).toMatch(/evil\.tar\.gz: .*\.\./);
      expect(readdirSync(dest)).toEqual([]);
    }
    expect(existsSync(path.join(tmp.dir, 'escape.bin'))).toBe(false);
  });
});

/** A tar stream of regular files (512-byte headers, data padded to 512, two zero blocks), written by hand so an entry can say `../`. */
function tarOf(entries: [string, Uint8Array][]): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, data] of entries) {
    const header = new Header({ path: name, mode: 0o644, size: data.length, type: 'File', mtime: new Date(0), uid: 0, gid: 0 });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block, Buffer.from(data), Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
