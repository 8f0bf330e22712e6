import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** A published checksum of a file's bytes. */
export interface Checksum {
  /** Hash algorithm: what the publisher lists (CIFAR-10 publishes md5; MNIST's files are pinned by sha256). */
  algorithm: 'md5' | 'sha256';
  /** Lower-case hex digest. */
  hex: string;
}

/** Hashes a file by streaming it (the CIFAR-10 archive is 162 MB: no need to hold it in memory). */
export async function hashFile(file: string, algorithm: Checksum['algorithm']): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
