/**
 * Records of one table trained with different settings (another --budget or --epochs, a --rows subset sized by
 * another budget, shards without a shared calibration) must not be merged into one table with verdicts: `run`,
 * `merge` and `report` refuse them, naming the settings that differ and the records. A --rows subset or more seeds
 * under the same settings are not mixed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { presetByName } from './experiments/presets.js';
import { tableById } from './experiments/tables.js';
import { appendRecord } from './results/store.js';
import { makeRecord } from './test-utils/records.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BENCH = path.join(ROOT, 'apps/bench/src/bench.ts');
const quick6 = presetByName('quick').settings(tableById(6));
const longer = { ...quick6, epochs: 2, trainImages: 64 };

function bench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@db/source', BENCH, ...args], {
      cwd: ROOT,
      env: { ...process.env, DB_OFFLINE: '1', CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const dir = () => mkdtempSync(path.join(tmpdir(), 'bench-mixed-'));

describe('results of one table under different settings', { timeout: 120_000 }, () => {
  it('report refuses them, naming the settings and the records; more rows or seeds of the same settings are fine', async () => {
    const out = dir();
    const file = path.join(out, 'results.jsonl');
    appendRecord(file, makeRecord(6, 'none', 1));
    appendRecord(file, makeRecord(6, 'none', 2));
    appendRecord(file, makeRecord(6, 'dropout', 1)); // a --rows subset added later, same settings
    const fine = await bench(['report', '--out', out]);
    expect(fine.stderr).toBe('');
    expect(fine.code).toBe(0);
    appendRecord(file, makeRecord(6, 'dropBlock3', 1, { settings: longer }));
    const mixed = await bench(['report', '--out', out]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr.trim()).toBe(
      'pnpm bench: report: table 6 holds records trained with different settings: epochs 1, trainImages 32 (t6-none-s1, t6-none-s2, t6-dropout-s1) ' +
        'vs epochs 2, trainImages 64 (t6-dropBlock3-s1); report each set of settings on its own (pass its result files)',
    );
  });

  it('merge refuses to join them and leaves the target as it was', async () => {
    const out = dir();
    const a = path.join(out, 'results-shard-1-of-2.jsonl');
    const b = path.join(out, 'results-shard-2-of-2.jsonl');
    appendRecord(a, makeRecord(6, 'none', 1));
    appendRecord(b, makeRecord(6, 'dropout', 1, { settings: longer })); // a shard sized by its own calibration
    const merged = await bench(['merge', '--out', out]);
    expect(merged.code).toBe(2);
    expect(merged.stderr.trim()).toBe(
      'pnpm bench: merge: table 6 holds records trained with different settings: epochs 1, trainImages 32 (t6-none-s1) vs epochs 2, trainImages 64 (t6-dropout-s1); merge each set of settings into its own file',
    );
    expect(existsSync(path.join(out, 'results.jsonl'))).toBe(false);
  });

  it('run refuses to add runs under other settings to a folder holding the table, before training', async () => {
    const out = dir();
    const file = path.join(out, 'results.jsonl');
    appendRecord(file, makeRecord(6, 'dropout', 1, { settings: longer }));
    const before = readFileSync(file, 'utf8');
    const run = await bench(['--preset', 'quick', '--tables', '6', '--rows', 'none', '--out', out, '--jobs', '1', '--threads', '1', '--dry-run']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      `pnpm bench: ${out} holds records of table 6 trained with other settings: epochs 1, trainImages 32 (this plan) vs epochs 2, trainImages 64 (t6-dropout-s1); ` +
        'pass --out DIR for a new results folder, or rerun with the settings that wrote them',
    );
    expect(readFileSync(file, 'utf8')).toBe(before);
    // The same settings with another row are fine.
    const same = dir();
    appendRecord(path.join(same, 'results.jsonl'), makeRecord(6, 'dropout', 1));
    const ok = await bench(['--preset', 'quick', '--tables', '6', '--rows', 'none', '--out', same, '--jobs', '1', '--threads', '1', '--dry-run', '--calibration', path.join(out, 'calibration.json')]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });
});
