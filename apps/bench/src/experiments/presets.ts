/**
 * The bench's presets and how a time budget sizes the default one.
 *
 * - `quick`: every table, a tiny run per row (32 training images, 1 epoch, 1 seed, shallow networks): checks the
 *   whole pipeline in a few minutes; its accuracies mean nothing.
 * - `default`: the report's networks at full depth, 2 seeds per row, training-set size and epochs chosen from a
 *   calibration so the whole bench fills `--budget` (default 1 h).
 * - `paper`: the report's data sizes and epochs (see each table's `paper` settings), 3 seeds; for a GPU backend or
 *   a long run.
 */
import type { CalibrationSample } from '../runners/types.js';
import type { BatchNormStatistics, BenchTable, ClassificationSettings, DetectionSettings } from './tables.js';

/** Preset names. */
export type PresetName = 'quick' | 'default' | 'paper';

/** Every preset name, for messages. */
export const PRESET_NAMES: readonly PresetName[] = ['quick', 'default', 'paper'];

/** Settings of any table. */
export type TableSettings = ClassificationSettings | DetectionSettings;

/** Values the user fixed with flags; they override the preset and the budget sizing. */
export interface SettingOverrides {
  /** `--epochs`. */
  epochs?: number;
  /** `--train-images`. */
  trainImages?: number;
  /** `--test-images` (validation images for detection). */
  testImages?: number;
  /** `--batch-size`. */
  batchSize?: number;
  /** `--lr`. */
  learningRate?: number;
  /** `--input-size` (RetinaNet's square input; detection tables only). */
  inputSize?: number;
  /** `--backbone-weights` (RetinaNet's backbone: 'none', 'imagenet' or a Keras HDF5 path; detection tables only). */
  backboneWeights?: string;
  /** `--bn precise|moving`: the BatchNorm statistics the evaluation uses. */
  bnStatistics?: BatchNormStatistics;
  /** `--bn-images N`: training images precise BN recomputes the statistics on. */
  bnImages?: number;
}

/** A preset: how many seeds, the settings of each table, and whether a budget sizes them. */
export interface Preset {
  /** Name. */
  name: PresetName;
  /** One line for the plan. */
  description: string;
  /** Seeds per row (1..n). */
  seeds: number;
  /** Whether `--budget` sizes training images and epochs from the calibration. */
  budgetSized: boolean;
  /** Set on presets that only check the pipeline: their runs are far too short to learn, so their figures mean nothing. */
  pipelineCheck?: true;
  /** The table's settings before budget sizing and flags. */
  settings(table: BenchTable): TableSettings;
}

/**
 * The shortest training a table's runs get in a budget-sized plan: below it a run does not learn enough for its
 * table's comparison to mean anything, so the planner leaves the table out rather than buy runs that sit at chance.
 * `steps` counts optimiser steps over the whole run (batch 64); `evalImages` is the test (validation) images.
 */
export interface TableMinimum {
  /** Fewest optimiser steps of a run. */
  steps: number;
  /** Fewest test (validation) images. */
  evalImages: number;
  /**
   * Rows that learn more slowly than the table's others and need more steps to be compared (by row key). The rows of
   * a table share their settings, so such a row raises the whole table's training length when it is run.
   */
  rowSteps?: Readonly<Record<string, number>>;
}

/**
 * Minimum training length of each table (batch 64, Adam 1e-3, precise BN statistics at evaluation), and why.
 *
 * - Table 6 (CustomNet, MNIST): 320 steps. Measured with this bench on wasm (2026-12-06, `pnpm bench --tables 6
 *   --rows none,dropBlock3 --seeds 1 --epochs 4 --train-images 3200 --test-images 1000`, 50 steps an epoch), test
 *   accuracy with precise BN after 50 / 100 / 150 / 200 steps: none 0.947 / 0.957 / 0.961 / 0.968, dropBlock3
 *   0.956 / 0.951 / 0.962 / 0.950; with the moving statistics 0.126 at every point (chance). The 1-hour default run
 *   of 2026-12-06 (266 steps, 8,512 images x 2 epochs, 2 seeds) ended at none 0.970 / 0.969, Dropout 0.971 / 0.975,
 *   DropBlock(3) 0.970 / 0.970, DropBlock(7) 0.974 / 0.961: at 266 steps a seed can still sit 0.03 below the
 *   report's 0.99, so the minimum is 320 steps, where every such row is at >= 0.97 (PyTorch, same recipe, no
 *   regulariser: 0.978 at 266 steps).
 *   SpatialDropout(0.7) drops 70% of the channels after each pooling and learns far more slowly: 0.922 / 0.893 in that
 *   run; PyTorch, same recipe (apps/bench/py/customnet_accuracy.py --regulariser spatialDropout, 2026-12-07), 0.875 /
 *   0.920 / 0.939 / 0.957 / 0.969 after 100 / 200 / 300 / 400 / 800 steps; this bench on wasm (2026-12-07, 1-hour default
 *   run at 910 steps, 29,120 images x 2 epochs) 0.969 / 0.970. Still rising by ~0.002 per 100 steps there, so it
 *   needs 1,200 steps to be at >= 0.97 with a margin.
 * - Table 3 (CustomNet, CIFAR-10): 320 steps. The PyTorch runs of the same recipe with recomputed BN
 *   statistics: 57 steps 0.406, 240 steps 0.508 (moving statistics 0.167 / 0.228). The 1-hour default run of
 *   2026-12-06 (294 steps) ended at none 0.522 / 0.483, Dropout 0.447 / 0.465, DropBlock(3) 0.511 / 0.501,
 *   DropBlock(7) 0.484 / 0.502: Dropout(0.25) trails by ~0.04, so 320 steps put every such row above 0.45, far
 *   enough above chance (0.10) for "Dropout is best" to compare learned networks. SpatialDropout(0.7): 0.265 / 0.312
 *   in that run; PyTorch, same recipe, 0.325 / 0.326 / 0.379 / 0.404 / 0.432 after 150 / 300 / 600 / 900 / 1,200
 *   steps, still rising by ~0.015 per 150 steps: 1,600 steps.
 * - Tables 1, 2, 4, 5 (ResNet-50, DenseNet-121): twice CustomNet's steps on the same data (480 CIFAR-10, 400
 *   MNIST). Not measured separately (a 480-step ResNet-50 run takes ~18 min of one core here): 50-120 layers deep
 *   against CustomNet's 9, trained from scratch, they do not learn faster per step; the factor 2 is a margin, not a
 *   measurement. Their SpatialDropout rows (0.7 after every ResNet-50 block, 0.3 in DenseNet) were not measured
 *   either and get the table's minimum.
 * - Table 7 (RetinaNet on the COCO subset, 128 px): 500 steps (3.5 epochs of the 288 training images at batch 2).
 *   Not measured here (issue 17 is establishing how long RetinaNet needs to learn on this subset); at ~3 s a step
 *   its 14 runs need hours on 2 cores whatever the exact minimum, so it only changes which budget buys the table.
 *
 * Evaluation: 1,000 test images for tables 1-6 (standard error of an accuracy <= 0.016, <= 0.0055 at 0.97) and the
 * default preset's 40 validation images for table 7.
 */
export const TABLE_MINIMUMS: Readonly<Record<number, TableMinimum>> = {
  1: { steps: 480, evalImages: 1000 },
  2: { steps: 480, evalImages: 1000 },
  3: { steps: 320, evalImages: 1000, rowSteps: { spatialDropout: 1600 } },
  4: { steps: 400, evalImages: 1000 },
  5: { steps: 400, evalImages: 1000 },
  6: { steps: 320, evalImages: 1000, rowSteps: { spatialDropout: 1200 } },
  7: { steps: 500, evalImages: 40 },
};

/** The minimum of table `id` ({@link TABLE_MINIMUMS}). */
export function tableMinimum(id: number): TableMinimum {
  const m = TABLE_MINIMUMS[id];
  if (m === undefined) throw new RangeError(`table ${id} has no minimum training length`);
  return m;
}

/** Fewest optimiser steps a run of row `row` of table `id` needs ({@link TableMinimum.rowSteps}, else the table's). */
export function rowMinimumSteps(id: number, row: string): number {
  const m = tableMinimum(id);
  return Math.max(m.steps, m.rowSteps?.[row] ?? 0);
}

/** Fewest optimiser steps of table `id` when it runs `rows` (they share their settings: the slowest row sets it). */
export function rowsMinimumSteps(id: number, rows: readonly string[]): number {
  return rows.reduce((most, row) => Math.max(most, rowMinimumSteps(id, row)), tableMinimum(id).steps);
}

/** Smallest training set a budget may shrink a run to (in batches). */
export const MIN_TRAIN_BATCHES = 2;

/** Fewest evaluation images a budget may shrink a run to: sqrt(0.25 / 200) = 0.035, the largest accuracy standard error. */
export const MIN_EVAL_IMAGES = 200;

function setEvalImages(settings: TableSettings, count: number): void {
  if ('testImages' in settings) settings.testImages = count;
  else settings.valImages = count;
}

const QUICK: Preset = {
  name: 'quick',
  description: 'every table, a tiny run per row (pipeline check for CI; its figures mean nothing)',
  seeds: 1,
  budgetSized: false,
  pipelineCheck: true,
  settings(table) {
    if (table.runner === 'detection') {
      return { ...table.paper, epochs: 1, batchSize: 2, trainImages: 4, valImages: 4, inputSize: 128 };
    }
    return {
      ...table.paper,
      epochs: 1,
      batchSize: 16,
      trainImages: 32,
      testImages: 32,
      network: table.network === 'resnet50' ? { stageBlocks: [1, 1, 1, 1] } : table.network === 'densenet' ? { blocks: [1, 1, 1, 1], growthRate: 8 } : {},
    };
  },
};

const DEFAULT: Preset = {
  name: 'default',
  description: 'the report\'s networks, 2 seeds per row, training images and epochs sized to fill --budget',
  seeds: 2,
  budgetSized: true,
  settings(table) {
    if (table.runner === 'detection') {
      // 128 px: an hour on 2 cores holds 14 RetinaNet runs besides tables 1-6, and a step at 256 px costs about four
      // times as much (it fits the wasm heap, batch 2 at 2.1 GB: packages/detection/README.md, "Limits seen on the
      // wasm backend"), which would leave each run a handful of images. --budget and --input-size raise it.
      return { ...table.paper, epochs: 2, batchSize: 2, valImages: 40, inputSize: 128 };
    }
    return { ...table.paper, epochs: table.dataset === 'mnist' ? 2 : 3, testImages: 1000, network: {} };
  },
};

const PAPER: Preset = {
  name: 'paper',
  description: 'the report\'s data sizes and epochs, 3 seeds per row (for a GPU backend or a long run)',
  seeds: 3,
  budgetSized: false,
  settings: (table) => ({ ...table.paper }),
};

/** The preset called `name`; a RangeError naming the bad value otherwise. */
export function presetByName(name: string): Preset {
  const preset = [QUICK, DEFAULT, PAPER].find((p) => p.name === name);
  if (preset === undefined) throw new RangeError(`--preset: unknown preset '${name}' (use ${PRESET_NAMES.join(', ')})`);
  return preset;
}

/** Images evaluated per epoch: the test images (classification) or the validation images (detection). */
export function evalImages(settings: TableSettings): number {
  return 'testImages' in settings ? settings.testImages : settings.valImages;
}

/** Training images precise BN recomputes the statistics on in a run with `settings` (0 with moving statistics). */
export function bnImagesOf(settings: TableSettings): number {
  return settings.bnStatistics === 'precise' ? Math.min(settings.bnImages, settings.trainImages) : 0;
}

/**
 * Seconds of one epoch's evaluation: the test (validation) images once with the moving statistics, which every
 * run records, and, with precise BN, the recalibration pass over {@link bnImagesOf} training images and the test
 * images again with the recomputed statistics.
 */
export function evalSecondsPerEpoch(settings: TableSettings, sample: CalibrationSample): number {
  const evals = settings.bnStatistics === 'precise' ? 2 : 1;
  const bn = bnImagesOf(settings) * (sample.secondsPerBnImage ?? 2 * sample.secondsPerEvalImage);
  return evals * evalImages(settings) * sample.secondsPerEvalImage + bn;
}

/**
 * The plan's time model of one run, in seconds (see {@link CalibrationSample}): the run's fixed cost (worker
 * start-up, runner modules, network build, first-step warm-up), loading its images, then per epoch the training
 * images and the evaluation ({@link evalSecondsPerEpoch}).
 */
export function estimateRunSeconds(settings: TableSettings, sample: CalibrationSample): number {
  const load = (settings.trainImages + evalImages(settings)) * (sample.secondsPerLoadedImage ?? 0);
  const perEpoch = settings.trainImages * sample.secondsPerTrainImage + evalSecondsPerEpoch(settings, sample);
  return sample.setupSeconds + load + settings.epochs * perEpoch;
}

/** Floors of {@link fitToBudget}: the table's minimum training length (see {@link TABLE_MINIMUMS}). */
export interface SizeFloors {
  /** Fewest optimiser steps (over all epochs). */
  minSteps?: number;
  /** Fewest evaluation images; default {@link MIN_EVAL_IMAGES}. */
  minEvalImages?: number;
}

/**
 * Sizes `settings` to take about `seconds` by {@link estimateRunSeconds}: first the training images (between
 * `floors.minSteps` steps over the preset's epochs, at least {@link MIN_TRAIN_BATCHES} batches, and the table's
 * paper-scale count, a whole number of batches), then, once all training images are used, more epochs (up to the
 * paper's, and at least as many as `minSteps` needs). Values the user fixed in `overrides` are kept.
 */
export function fitToBudget<S extends TableSettings>(
  settings: S,
  paper: S,
  sample: CalibrationSample,
  seconds: number,
  overrides: SettingOverrides = {},
  floors: SizeFloors = {},
): S {
  const out = { ...settings };
  const minSteps = floors.minSteps ?? 0;
  const minEval = Math.min(evalImages(out), floors.minEvalImages ?? MIN_EVAL_IMAGES);
  const load = sample.secondsPerLoadedImage ?? 0;
  const available = Math.max(seconds - sample.setupSeconds - evalImages(out) * load, 0);
  if (overrides.trainImages === undefined) {
    // Each training image costs its steps in every epoch and its loading once.
    let perTrainImage = sample.secondsPerTrainImage + load / out.epochs;
    let images = Math.floor((available / out.epochs - evalSecondsPerEpoch(out, sample)) / perTrainImage);
    if (out.bnStatistics === 'precise' && images < out.bnImages) {
      // Fewer training images than precise BN would use: it recomputes the statistics on all of them, so each
      // image also costs one recalibration pass per epoch.
      const bnPerImage = sample.secondsPerBnImage ?? 2 * sample.secondsPerEvalImage;
      perTrainImage += bnPerImage;
      images = Math.floor((available / out.epochs - evalSecondsPerEpoch({ ...out, bnImages: 0 }, sample)) / perTrainImage);
    }
    const minimum = Math.max(MIN_TRAIN_BATCHES, Math.ceil(minSteps / out.epochs)) * out.batchSize;
    const capped = Math.min(Math.max(images, minimum), paper.trainImages);
    out.trainImages = capped === paper.trainImages ? capped : Math.floor(capped / out.batchSize) * out.batchSize;
    if (images < minimum && overrides.testImages === undefined) {
      // Not even the smallest training set fits beside the evaluation: evaluate on fewer images, not below the
      // table's minimum (MIN_EVAL_IMAGES at least: an accuracy standard error of at most 0.035).
      const passes = out.bnStatistics === 'precise' ? 2 : 1;
      const bn = bnImagesOf(out) * (sample.secondsPerBnImage ?? 2 * sample.secondsPerEvalImage);
      const fit = Math.floor((available / out.epochs - out.trainImages * perTrainImage - bn) / (passes * sample.secondsPerEvalImage));
      setEvalImages(out, Math.min(evalImages(out), Math.max(fit, minEval)));
    }
  }
  if (overrides.epochs === undefined && out.trainImages >= paper.trainImages) {
    const stepsPerEpoch = Math.ceil(out.trainImages / out.batchSize);
    const epochs = Math.floor(available / (out.trainImages * sample.secondsPerTrainImage + evalSecondsPerEpoch(out, sample)));
    out.epochs = Math.max(Math.min(Math.max(epochs, out.epochs), paper.epochs), Math.ceil(minSteps / stepsPerEpoch));
  }
  return out;
}

/** Optimiser steps of a run with `settings` (the last batch of an epoch may be partial). */
export function stepsOf(settings: TableSettings): number {
  return settings.epochs * Math.ceil(settings.trainImages / settings.batchSize);
}

/** Applies the user's flags to settings. */
export function applyOverrides<S extends TableSettings>(settings: S, overrides: SettingOverrides): S {
  const out = { ...settings };
  if (overrides.epochs !== undefined) out.epochs = overrides.epochs;
  if (overrides.trainImages !== undefined) out.trainImages = overrides.trainImages;
  if (overrides.batchSize !== undefined) out.batchSize = overrides.batchSize;
  if (overrides.learningRate !== undefined) out.learningRate = overrides.learningRate;
  if (overrides.inputSize !== undefined && 'inputSize' in out) (out as DetectionSettings).inputSize = overrides.inputSize;
  if (overrides.backboneWeights !== undefined && 'inputSize' in out) (out as DetectionSettings).backboneWeights = overrides.backboneWeights;
  if (overrides.testImages !== undefined) setEvalImages(out, overrides.testImages);
  if (overrides.bnStatistics !== undefined) out.bnStatistics = overrides.bnStatistics;
  if (overrides.bnImages !== undefined) out.bnImages = overrides.bnImages;
  return out;
}

/** Parses a duration such as `8h`, `90m`, `1h30m`, `3600s` or `3600` (seconds) into seconds. */
export function parseDuration(text: string, flag = '--budget'): number {
  const trimmed = text.trim().toLowerCase();
  const match = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$/.exec(trimmed);
  const seconds = match ? Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0) : NaN;
  if (trimmed === '' || !(seconds > 0)) {
    throw new RangeError(`${flag} must be a duration such as 1h, 90m, 1h30m or 3600s, got '${text}'`);
  }
  return seconds;
}
