/**
 * Reads one member of a ZIP archive as a stream, checked against the archive's own records: COCO ships its
 * annotations as `annotations_trainval2017.zip` (241 MB), and the one JSON a run needs is inflated on the fly,
 * never written out whole.
 *
 * Format: PKWARE's APPNOTE.TXT (sec. 4.3.16 end of central directory record, 4.3.12 central directory header,
 * 4.3.7 local file header). Methods 0 (stored) and 8 (deflate) are read; ZIP64 (members or archives past 4 GiB) is
 * not needed for COCO's annotation archives and is an error. Every member read is checked against its recorded
 * uncompressed size and CRC-32, so a corrupt or cut archive fails here rather than in the JSON.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, Transform, pipeline } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { DatasetFileError } from '../errors.js';

/** One member as the central directory records it. */
export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3 polynomial 0xEDB88320, as ZIP and gzip use), continued from `crc`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** Lists the members of the ZIP archive at `file` from its central directory. */
export async function readZipEntries(file: string): Promise<ZipEntry[]> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    // The end record is 22 bytes plus a comment of at most 65,535.
    const tailSize = Math.min(size, 22 + 0xffff);
    const tail = Buffer.alloc(tailSize);
    await handle.read(tail, 0, tailSize, size - tailSize);
    let eocd = -1;
    for (let i = tailSize - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIGNATURE) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new DatasetFileError(file, 'is not a ZIP archive (no end of central directory record): cut or corrupt');
    const count = tail.readUInt16LE(eocd + 10);
    const dirSize = tail.readUInt32LE(eocd + 12);
    const dirOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || dirOffset === 0xffffffff) throw new DatasetFileError(file, 'is a ZIP64 archive, which is not supported');
    if (dirOffset + dirSize > size) throw new DatasetFileError(file, 'has a central directory past its end: cut or corrupt');
    const dir = Buffer.alloc(dirSize);
    await handle.read(dir, 0, dirSize, dirOffset);
    const entries: ZipEntry[] = [];
    let at = 0;
    for (let k = 0; k < count; k++) {
      if (at + 46 > dir.length || dir.readUInt32LE(at) !== CENTRAL_SIGNATURE) {
        throw new DatasetFileError(file, `has a corrupt central directory (entry ${k})`);
      }
      const nameLength = dir.readUInt16LE(at + 28);
      const extraLength = dir.readUInt16LE(at + 30);
      const commentLength = dir.readUInt16LE(at + 32);
      entries.push({
        method: dir.readUInt16LE(at + 10),
        crc32: dir.readUInt32LE(at + 16),
        compressedSize: dir.readUInt32LE(at + 20),
        size: dir.readUInt32LE(at + 24),
        localHeaderOffset: dir.readUInt32LE(at + 42),
        name: dir.subarray(at + 46, at + 46 + nameLength).toString('utf8'),
      });
      at += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
  } finally {
    await handle.close();
  }
}

/**
 * Streams member `name` of the archive at `file`, inflated, to `sink` chunk by chunk; resolves once the whole member
 * was read and its size and CRC-32 match the central directory. Throws a {@link DatasetFileError} otherwise.
 */
export async function readZipMember(file: string, name: string, sink: (chunk: Buffer) => void): Promise<void> {
  const entries = await readZipEntries(file);
  const entry = entries.find((e) => e.name === name);
  if (!entry) {
    throw new DatasetFileError(file, `has no member ${name} (it has ${entries.map((e) => e.name).slice(0, 12).join(', ')})`);
  }
  if (entry.size === 0xffffffff || entry.compressedSize === 0xffffffff || entry.localHeaderOffset === 0xffffffff) {
    throw new DatasetFileError(file, `member ${name} is stored as ZIP64, which is not supported`);
  }
  if (entry.method !== 0 && entry.method !== 8) {
    throw new DatasetFileError(file, `member ${name} uses compression method ${entry.method}; only stored (0) and deflate (8) are read`);
  }
  const handle = await open(file, 'r');
  let dataStart: number;
  try {
    const header = Buffer.alloc(30);
    await handle.read(header, 0, 30, entry.localHeaderOffset);
    if (header.readUInt32LE(0) !== LOCAL_SIGNATURE) throw new DatasetFileError(file, `member ${name}: corrupt local header`);
    dataStart = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  } finally {
    await handle.close();
  }
  let crc = 0;
  let size = 0;
  const raw: Readable =
    entry.compressedSize === 0
      ? Readable.from([])
      : createReadStream(file, { start: dataStart, end: dataStart + entry.compressedSize - 1 });
  const check = new Transform({
    transform(chunk: Buffer, _enc, done) {
      crc = crc32(chunk, crc);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    // pipeline forwards a read or inflate error to `check`, which ends the loop with it.
    const out = entry.method === 8 && entry.compressedSize > 0 ? pipeline(raw, createInflateRaw(), check, () => {}) : pipeline(raw, check, () => {});
    for await (const chunk of out) sink(chunk as Buffer);
  } catch (err) {
    if (err instanceof DatasetFileError) throw err;
    const what = err instanceof Error && /^(JSON|COCO)/.test(err.message) ? err.message : `cannot be inflated (${(err as Error).message})`;
    throw new DatasetFileError(`${file}:${name}`, what);
  } finally {
    raw.destroy();
  }
  if (size !== entry.size || crc !== entry.crc32) {
    throw new DatasetFileError(
      `${file}:${name}`,
      `inflates to ${size} bytes with CRC-32 ${crc.toString(16)}, the archive records ${entry.size} bytes and ${entry.crc32.toString(16)}: corrupt`,
    );
  }
}
