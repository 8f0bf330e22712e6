import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { x as extractTar } from 'tar';
import { DatasetFileError } from '../errors.js';

/** What an archive must contain, checked after extraction. */
export interface ExpectedMember {
  /** Path inside the archive (e.g. `cifar-10-batches-bin/test_batch.bin`). */
  path: string;
  /** Exact size in bytes, when known. */
  size?: number;
}

/**
 * Extracts a `.tar.gz` into `destDir/<topDir>` atomically: the archive is unpacked into a temporary folder
 * next to it, its expected members are checked, and only then is `topDir` renamed into place. A truncated or
 * corrupt archive throws a {@link DatasetFileError} naming the archive, and leaves no partial folder.
 */
export async function extractTarGz(
  archive: string,
  destDir: string,
  topDir: string,
  expected: readonly ExpectedMember[],
): Promise<string> {
  const tmp = path.join(destDir, `.extract-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  try {
    try {
      // strict: turn tar's warnings (bad header, unexpected EOF, zlib errors) into errors rather than skipping.
      await extractTar({ file: archive, cwd: tmp, strict: true, gzip: true });
    } catch (err) {
      throw new DatasetFileError(archive, `truncated or corrupt tar.gz archive (${(err as Error).message})`);
    }
    for (const member of expected) {
      const file = path.join(tmp, member.path);
      let size: number;
      try {
        size = (await stat(file)).size;
      } catch {
        throw new DatasetFileError(archive, `archive is truncated or incomplete: it lacks ${member.path}`);
      }
      if (member.size !== undefined && size !== member.size) {
        throw new DatasetFileError(
          archive,
          `archive is truncated or corrupt: ${member.path} is ${size} bytes, expected ${member.size}`,
        );
      }
    }
    const final = path.join(destDir, topDir);
    await rm(final, { recursive: true, force: true });
    await rename(path.join(tmp, topDir), final);
    return final;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
