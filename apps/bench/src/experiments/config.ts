/**
 * A run: one (table, row, seed) with every setting resolved, hashed, so a result record says exactly what produced
 * it and a rerun can tell a finished run from one trained under other settings.
 */
import type { NetworkName, RegularizerSpec } from '@db/models';
import type { ClassificationSettings, DetectionSettings, RunnerKind } from './tables.js';

/** The resolved configuration of one classification run (tables 1-6). */
export interface ClassificationRunConfig {
  /** Runner kind. */
  runner: 'classification';
  /** Table number. */
  table: number;
  /** Row key. */
  row: string;
  /** Seed of weights, masks and data order. */
  seed: number;
  /** Dataset. */
  dataset: 'cifar10' | 'mnist';
  /** Network. */
  network: NetworkName;
  /** Input `[height, width, channels]`. */
  inputShape: [number, number, number];
  /** Regulariser of this row. */
  regularizer: RegularizerSpec;
  /** Training settings after the preset, the budget and the flags. */
  settings: ClassificationSettings;
}

/** The resolved configuration of one detection run (table 7). */
export interface DetectionRunConfig {
  /** Runner kind. */
  runner: 'detection';
  /** Table number. */
  table: number;
  /** Row key. */
  row: string;
  /** Seed. */
  seed: number;
  /** Dataset. */
  dataset: 'coco';
  /** Regulariser of this row. */
  regularizer: RegularizerSpec;
  /** Training settings after the preset, the budget and the flags. */
  settings: DetectionSettings;
}

/** Any run's configuration. */
export type RunConfig = ClassificationRunConfig | DetectionRunConfig;

/** A run in the plan. */
export interface PlannedRun {
  /** Readable id, unique in a plan: `t1-dropBlock3-s2`. */
  id: string;
  /** The resolved configuration. */
  config: RunConfig;
  /** {@link configHash} of `config`. */
  hash: string;
}

/** The runner kind of a config. */
export function runnerOf(config: RunConfig): RunnerKind {
  return config.runner;
}
