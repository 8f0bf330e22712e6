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
import type { BenchTable, ClassificationSettings, DetectionSettings } from './tables.js';

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

/** The plan's time model of one run, in seconds (see {@link CalibrationSample}). */
export function estimateRunSeconds(settings: TableSettings, sample: CalibrationSample): number {
  const perEpoch = settings.trainImages * sample.secondsPerTrainImage + evalImages(settings) * sample.secondsPerEvalImage;
  return sample.setupSeconds + settings.epochs * perEpoch;
}

/**
 * Sizes `settings` to take about `seconds` by {@link estimateRunSeconds}: first the training images (between
 * {@link MIN_TRAIN_BATCHES} batches and the table's paper-scale count, a whole number of batches), then, once all
 * training images are used, more epochs (up to the paper's). Values the user fixed in `overrides` are kept.
 */
export function fitToBudget<S extends TableSettings>(
  settings: S,
  paper: S,
  sample: CalibrationSample,
  seconds: number,
  overrides: SettingOverrides = {},
): S {
  const out = { ...settings };
  const evalPerEpoch = evalImages(out) * sample.secondsPerEvalImage;
  const available = Math.max(seconds - sample.setupSeconds, 0);
  if (overrides.trainImages === undefined) {
    const images = Math.floor((available / out.epochs - evalPerEpoch) / sample.secondsPerTrainImage);
    const minimum = MIN_TRAIN_BATCHES * out.batchSize;
    const capped = Math.min(Math.max(images, minimum), paper.trainImages);
    out.trainImages = capped === paper.trainImages ? capped : Math.floor(capped / out.batchSize) * out.batchSize;
    if (images < minimum && overrides.testImages === undefined) {
      // Not even the smallest training set fits beside the evaluation: evaluate on fewer images (not below
      // MIN_EVAL_IMAGES, whose accuracy still has a standard error of at most 0.035).
      const fit = Math.floor((available / out.epochs - out.trainImages * sample.secondsPerTrainImage) / sample.secondsPerEvalImage);
      setEvalImages(out, Math.min(evalImages(out), Math.max(fit, MIN_EVAL_IMAGES)));
    }
  }
  if (overrides.epochs === undefined && out.trainImages >= paper.trainImages) {
    const epochs = Math.floor(available / (out.trainImages * sample.secondsPerTrainImage + evalPerEpoch));
    out.epochs = Math.min(Math.max(epochs, out.epochs), paper.epochs);
  }
  return out;
}

/** Applies the user's flags to settings. */
export function applyOverrides<S extends TableSettings>(settings: S, overrides: SettingOverrides): S {
  const out = { ...settings };
  if (overrides.epochs !== undefined) out.epochs = overrides.epochs;
  if (overrides.trainImages !== undefined) out.trainImages = overrides.trainImages;
  if (overrides.batchSize !== undefined) out.batchSize = overrides.batchSize;
  if (overrides.learningRate !== undefined) out.learningRate = overrides.learningRate;
  if (overrides.inputSize !== undefined && 'inputSize' in out) (out as DetectionSettings).inputSize = overrides.inputSize;
  if (overrides.testImages !== undefined) setEvalImages(out, overrides.testImages);
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
