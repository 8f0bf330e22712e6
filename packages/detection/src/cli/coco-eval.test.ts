import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReferenceFile } from '../eval/test-utils/reference.js';

// The CLI runs from source through tsx, its @db/* imports from source too (after `pnpm build` the same file runs
// from dist/cli/coco-eval.js).
const CLI = fileURLToPath(new URL('./coco-eval.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const fixture = JSON.parse(
  readFileSync(new URL('../eval/fixtures/pycocotools-cases.json', import.meta.url), 'utf8'),
) as ReferenceFile;
const dir = mkdtempSync(path.join(tmpdir(), 'coco-eval-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['--conditions=@db/source', '--import', 'tsx', CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
}

function write(name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

// Cases scored with pycocotools' default parameters, so the CLI's output must equal what pycocotools printed.
const defaults = fixture.cases.filter((c) => Object.keys(c.options).length === 0 && c.detections.length > 0).slice(0, 1);

describe('coco-eval CLI', () => {
  it.each(defaults.map((c) => [c.name, c] as const))('prints the 12 lines pycocotools printed (%s)', (_name, c) => {
    const run = cli('--gt', write('gt.json', c.groundTruth), '--dt', write('dt.json', c.detections));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${c.lines.join('\n')}\n`);
  });

  it('--json prints {"stats": [12 numbers]}', () => {
    const c = defaults[0];
    const run = cli('--gt', write('gt.json', c.groundTruth), '--dt', write('dt.json', c.detections), '--json');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as { stats: number[] };
    expect(Object.keys(out)).toEqual(['stats']);
    expect(out.stats).toEqual(c.stats.map((v) => expect.closeTo(v, 9)));
  });

  it('bad input: one line naming the file and the record, exit code 1', () => {
    const c = defaults[0];
    const gt = write('gt.json', c.groundTruth);
    const bad = write('bad.json', [{ image_id: -5, category_id: 1, bbox: [0, 0, 1, 1], score: 1 }]);
    const run = cli('--gt', gt, '--dt', bad);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`coco-eval: ${bad}: detections[0]: image_id -5 is not an image of the ground truth\n`);
    const notJson = cli('--gt', gt, '--dt', write('broken.json', '[{"score": NaN}]'));
    expect(notJson.status).toBe(1);
    expect(notJson.stderr).toMatch(/^coco-eval: detections file .*broken\.json is not valid JSON/);
  });

  it('usage errors exit 2', () => {
    const run = cli('--gt', 'x.json');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--gt and --dt are both required\nusage: coco-eval/);
  });
});
