import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { Unpack } from 'tar';
import { DatasetFileError } from '../errors.js';

/** What an archive must contain, checked after extraction. */
export interface ExpectedMember {
  /** Path inside the archive (e.g. `cifar-10-batches-bin/test_batch.bin`). */
  path: string;
  /** Exact size in bytes, when known. */
  size?: number;
}

/**
 * Checks that `root` holds every expected member (paths relative to the archive root) at its expected size.
 * @returns undefined when it does, else what is wrong.
 */
export async function missingMember(root: string, expected: readonly ExpectedMember[]): Promise<string | undefined> {
  for (const member of expected) {
    let size: number;
    try {
      size = (await stat(path.join(root, member.path))).size;
    } catch {
      return `it lacks ${member.path}`;
    }
    if (member.size !== undefined && size !== member.size) {
      return `${member.path} is ${size} bytes, expected ${member.size}`;
    }
  }
  return undefined;
}

/**
 * Unpacks a `.tar.gz` into `cwd` and resolves only once nothing is being written any more, with the first error
 * (if any). tar in strict mode reports a bad entry (e.g. a `../` path) at once but goes on writing the entries after
 * it, and stops only when its input ends; so the error is kept and the extraction is waited for, never abandoned
 * mid-write. Gunzipping here rather than in tar keeps a corrupt gzip stream from aborting tar's parser, after which
 * it would never report that it stopped.
 */
function unpackTarGz(archive: string, cwd: string): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let first: Error | undefined;
    const fail = (err: Error) => {
      first ??= err;
    };
    // strict: turn tar's warnings (bad header, unsafe path, unexpected EOF) into errors rather than skipping.
    const unpack = new Unpack({ cwd, strict: true });
    unpack.on('error', fail);
    unpack.on('close', () => resolve(first));
    // tar aborts only on a decompression error of its own; none is expected on plain tar, but never hang on one.
    unpack.on('abort', (err: Error) => {
      fail(err);
      resolve(first);
    });
    const source = createReadStream(archive);
    const gunzip = createGunzip();
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      unpack.end();
    };
    const stop = (err: Error) => {
      fail(err);
      source.destroy();
      gunzip.destroy();
      end();
    };
    source.on('error', stop);
    gunzip.on('error', stop);
    // Fed by hand, not with pipe(): a piped Node stream unpipes itself when its destination emits 'error', which
    // strict tar does at a bad entry, and tar would then wait for the rest of its input for ever.
    gunzip.on('data', (chunk: Buffer) => {
      if (ended) return;
      if (!unpack.write(chunk)) {
        gunzip.pause();
        unpack.once('drain', () => gunzip.resume());
      }
    });
    gunzip.on('end', end);
    source.pipe(gunzip);
  });
}

/**
 * Extracts a `.tar.gz` into `destDir/<topDir>` atomically: the archive is unpacked into a temporary folder
 * next to it, its expected members are checked, and only then is `topDir` renamed into place. A truncated or
 * corrupt archive throws a {@link DatasetFileError} naming the archive, once the extraction has stopped, and leaves
 * no partial folder.
 *
 * Safe when several processes extract into the same `destDir` at once: a `destDir/<topDir>` that already holds
 * every expected member at its size (another process finished first) is kept as it is and returned, never replaced
 * or removed, since another loader may be reading it. One that does not is replaced.
 */
export async function extractTarGz(
  archive: string,
  destDir: string,
  topDir: string,
  expected: readonly ExpectedMember[],
): Promise<string> {
  const final = path.join(destDir, topDir);
  const tmp = path.join(destDir, `.extract-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  try {
    const err = await unpackTarGz(archive, tmp);
    if (err) throw new DatasetFileError(archive, `truncated or corrupt tar.gz archive (${err.message})`);
    const problem = await missingMember(tmp, expected);
    if (problem !== undefined) {
      const what = problem.startsWith('it lacks') ? 'truncated or incomplete' : 'truncated or corrupt';
      throw new DatasetFileError(archive, `archive is ${what}: ${problem}`);
    }
    await moveIntoPlace(path.join(tmp, topDir), final, destDir, expected);
    return final;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Renames `from` to `final`. When `final` exists: kept if it holds the expected members (it is a verified result
 * someone may be using), else moved aside and replaced. With no expected members to check, an existing `final` is
 * kept.
 */
async function moveIntoPlace(from: string, final: string, destDir: string, expected: readonly ExpectedMember[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, final);
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      if (expected.length === 0 || (await missingMember(destDir, expected)) === undefined) return;
      if (attempt > 0) throw err;
      // An unverified leftover (not one of ours: ours only ever appear complete): move it aside, then retry.
      const aside = path.join(destDir, `.replaced-${process.pid}-${randomBytes(4).toString('hex')}`);
      await rename(final, aside).catch(() => undefined);
      await rm(aside, { recursive: true, force: true });
    }
  }
}
