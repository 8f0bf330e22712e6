import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareCase, type ReferenceFile } from './test-utils/reference.js';

/**
 * Live comparison with pycocotools: scripts/coco-reference.py draws fresh seeded cases (other seeds than the
 * committed fixture), scores them with pycocotools, and every number is compared. Runs only where
 * /usr/bin/python3 (or COCO_REFERENCE_PYTHON) can import pycocotools; COCO_REFERENCE_SEED / COCO_REFERENCE_COUNT (and COCO_REFERENCE_LARGE=1,
 * COCO_REFERENCE_LARGE_COUNT) widen a run by hand.
 */
const PYTHON = process.env.COCO_REFERENCE_PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../scripts/coco-reference.py', import.meta.url));
const probe = spawnSync(PYTHON, ['-c', 'import pycocotools.cocoeval'], { encoding: 'utf8' });
const available = probe.status === 0;
if (!available) {
  console.log(`pycocotools live comparison skipped: ${PYTHON} cannot import pycocotools (${(probe.error?.message ?? probe.stderr).trim().split('\n').pop()})`);
}

function reference(args: string[]): ReferenceFile {
  const run = spawnSync(PYTHON, [SCRIPT, '--rle', ...args], { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 300_000 });
  if (run.status !== 0) throw new Error(`coco-reference.py ${args.join(' ')} failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as ReferenceFile;
}

function compareAll(file: ReferenceFile): void {
  let values = 0;
  let worst = 0;
  const lineMismatches: string[] = [];
  for (const c of file.cases) {
    const diff = compareCase(c);
    worst = Math.max(worst, diff.stats, diff.precision, diff.recall);
    values += diff.values;
    if (!diff.linesEqual) lineMismatches.push(c.name);
  }
  console.log(`${file.command}: ${file.cases.length} cases, ${values} numbers compared, largest difference ${worst}`);
  expect(worst).toBeLessThanOrEqual(1e-9);
  expect(lineMismatches).toEqual([]);
}

describe.runIf(available)('evaluateCoco vs live pycocotools', () => {
  it('agrees on fresh small adversarial cases', () => {
    const seed = process.env.COCO_REFERENCE_SEED ?? '2';
    const count = process.env.COCO_REFERENCE_COUNT ?? '60';
    compareAll(reference(['--seed', seed, '--count', count]));
  }, 600_000);

  // pycocotools alone needs ~20 s for this one on a loaded machine: run it with COCO_REFERENCE_LARGE=1.
  it.runIf(process.env.COCO_REFERENCE_LARGE === '1')('agrees on larger cases (hundreds of images, 60-140 detections each)', () => {
    compareAll(reference(['--seed', process.env.COCO_REFERENCE_SEED ?? '3', '--count', process.env.COCO_REFERENCE_LARGE_COUNT ?? '1', '--large']));
  }, 600_000);
});
