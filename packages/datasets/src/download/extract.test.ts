import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { c as createTar } from 'tar';
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
});
