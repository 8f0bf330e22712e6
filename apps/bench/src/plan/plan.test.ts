import { describe, expect, it } from 'vitest';
import { fitToBudget, parseDuration, presetByName, estimateRunSeconds } from '../experiments/presets.js';
import { TABLES, type ClassificationSettings } from '../experiments/tables.js';
import type { CalibrationSample } from '../runners/types.js';
import { baseSettings, estimatePlan, formatDuration, parseShard, planRuns, shardRuns } from './plan.js';

const classification = TABLES.filter((t) => t.runner === 'classification');
const quick = presetByName('quick');

describe('shards', () => {
  const runs = planRuns({ tables: classification, seeds: 3 }, baseSettings(quick, classification, {}));

  it('puts every run in exactly one shard, for any shard count', () => {
    expect(runs).toHaveLength(6 * 5 * 3);
    for (let n = 1; n <= 7; n++) {
      const seen = new Map<string, number>();
      for (let i = 1; i <= n; i++) for (const r of shardRuns(runs, { index: i, count: n })) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
      expect(seen.size).toBe(runs.length);
      expect([...seen.values()].every((c) => c === 1)).toBe(true);
    }
  });

  it('is deterministic and balanced', () => {
    const again = planRuns({ tables: classification, seeds: 3 }, baseSettings(quick, classification, {}), { index: 2, count: 4 });
    expect(again.map((r) => r.id)).toEqual(shardRuns(runs, { index: 2, count: 4 }).map((r) => r.id));
    const sizes = [1, 2, 3, 4].map((i) => shardRuns(runs, { index: i, count: 4 }).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(again[0].id).toBe('t1-none-s2');
  });

  it('gives runs unique ids and hashes that depend on the settings', () => {
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    expect(new Set(runs.map((r) => r.hash)).size).toBe(runs.length);
    const longer = planRuns({ tables: classification, seeds: 3 }, baseSettings(quick, classification, { epochs: 2 }));
    expect(longer.every((r, i) => r.id === runs[i].id && r.hash !== runs[i].hash)).toBe(true);
  });

  it('parses i/n and rejects anything else with one line', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/2', '3/2', '1/0', '1-2', 'a/b', '']) expect(() => parseShard(bad)).toThrow(/^--shard must be i\/n/);
  });
});

describe('estimate', () => {
  const sample = (train: number, evalSec: number, setup: number): CalibrationSample => ({
    secondsPerTrainImage: train,
    secondsPerEvalImage: evalSec,
    setupSeconds: setup,
    note: '',
  });

  it('is setup + epochs x (train images x train time + eval images x eval time) per run', () => {
    const s = { ...(quick.settings(classification[0]) as ClassificationSettings), epochs: 2, trainImages: 100, testImages: 50, bnStatistics: 'moving' as const };
    expect(estimateRunSeconds(s, sample(0.01, 0.002, 3))).toBeCloseTo(3 + 2 * (1 + 0.1), 10);
    // Precise BN: the test images twice (moving and precise statistics) and the recalibration pass over min(bnImages,
    // trainImages) = 100 training images; loading every image once.
    const p = { ...s, bnStatistics: 'precise' as const, bnImages: 1024 };
    const full = { ...sample(0.01, 0.002, 3), secondsPerBnImage: 0.004, secondsPerLoadedImage: 0.001 };
    expect(estimateRunSeconds(p, full)).toBeCloseTo(3 + 150 * 0.001 + 2 * (1 + 2 * 0.1 + 100 * 0.004), 10);
  });

  it('schedules runs on the first free job, as the pool does', () => {
    const runs = planRuns({ tables: [classification[2]], seeds: 1 }, baseSettings(quick, [classification[2]], { bnStatistics: 'moving' }));
    // quick: 1 epoch, 32 train + 32 test images. Per run: setup 4 + 32 * 0.1 + 32 * 0.025 = 8 s; five runs.
    const one = estimatePlan(runs, () => sample(0.1, 0.025, 4), 1);
    expect(one.perRun).toEqual([8, 8, 8, 8, 8].map((x) => expect.closeTo(x, 10)));
    expect(one.wallSeconds).toBeCloseTo(40, 10);
    const two = estimatePlan(runs, () => sample(0.1, 0.025, 4), 2);
    expect(two.workSeconds).toBeCloseTo(40, 10);
    expect(two.wallSeconds).toBeCloseTo(24, 10); // jobs get 3 and 2 runs
  });

  it('sizes the default preset to a budget: training images first, then epochs up to the paper', () => {
    const table = classification[0];
    const paper = table.paper;
    const base = { ...(presetByName('default').settings(table) as ClassificationSettings), bnStatistics: 'moving' as const }; // 3 epochs, 1000 test images: 1 s of evaluation per epoch
    const s = sample(0.01, 0.001, 10);
    // 610 s: (600 / 3 - 1) / 0.01 = 19,900 images, a whole number of batches of 64 -> 19,840.
    expect(fitToBudget(base, paper, s, 610)).toMatchObject({ trainImages: 19_840, epochs: 3 });
    // Enough for the full 50,000 images: epochs = floor(100,000 / (500 + 1)) capped at the paper's 50.
    expect(fitToBudget(base, paper, s, 100_010)).toMatchObject({ trainImages: 50_000, epochs: 50 });
    expect(fitToBudget(base, paper, s, 10_010)).toMatchObject({ trainImages: 50_000, epochs: 19 });
    // Never below two batches; then fewer evaluation images, down to 200: (300 / 3 - 128 * 0.01) / 0.1 = 987.
    expect(fitToBudget(base, paper, s, 1)).toMatchObject({ trainImages: 128, testImages: 200 });
    expect(fitToBudget(base, paper, sample(0.01, 0.1, 10), 310)).toMatchObject({ trainImages: 128, testImages: 987 });
    expect(fitToBudget(base, paper, sample(0.01, 0.1, 10), 40)).toMatchObject({ trainImages: 128, testImages: 200 });
    // Flags stay as given.
    expect(fitToBudget({ ...base, epochs: 7 }, paper, s, 610, { epochs: 7 })).toMatchObject({ epochs: 7, trainImages: 8448 }); // (600 / 7 - 1) / 0.01 = 8471 -> 8448
  });

  it('never sizes below the minimum steps it is given, raising epochs when the images run out', () => {
    const table = classification[0];
    const base = { ...(presetByName('default').settings(table) as ClassificationSettings), bnStatistics: 'moving' as const };
    const s = sample(0.01, 0.001, 10);
    // 300 steps over 3 epochs: 100 batches of 64.
    expect(fitToBudget(base, table.paper, s, 1, {}, { minSteps: 300, minEvalImages: 1000 })).toMatchObject({ trainImages: 6400, epochs: 3, testImages: 1000 });
    // A paper of 640 images (10 batches): 300 steps need 30 epochs.
    expect(fitToBudget(base, { ...table.paper, trainImages: 640 }, s, 1, {}, { minSteps: 300 })).toMatchObject({ trainImages: 640, epochs: 30 });
  });

  it('parses durations and prints them', () => {
    expect(parseDuration('8h')).toBe(28_800);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('90m')).toBe(5400);
    expect(parseDuration('3600')).toBe(3600);
    expect(() => parseDuration('soon')).toThrow("--budget must be a duration such as 1h, 90m, 1h30m or 3600s, got 'soon'");
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(65)).toBe('1:05');
  });
});
