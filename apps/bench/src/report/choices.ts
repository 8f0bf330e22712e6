/**
 * The choices the report leaves unstated, as the report of a run states them: the text of each table's fixed
 * choices (experiments/tables.ts `assumptions`) after the ones that depend on the run, written from the settings
 * and the data the records actually used. The rationale (why the bench chose this) stays; the numbers are the runs'.
 */
import { dataSourceLine } from '../experiments/data-source.js';
import type { TableSettings } from '../experiments/presets.js';
import type { BenchTable, ClassificationSettings, DetectionSettings } from '../experiments/tables.js';
import type { RunRecord } from '../results/store.js';

const RESNET50_STAGES = [3, 4, 6, 3];
const DENSENET121_BLOCKS = [6, 12, 24, 16];
const DENSENET121_GROWTH = 32;

function same(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Distinct values of a final metric over the records (e.g. the training images a run actually used). */
function used(records: readonly RunRecord[], key: string): number[] {
  return [...new Set(records.map((r) => r.metrics?.[key]).filter((v): v is number => typeof v === 'number'))].sort((a, b) => a - b);
}

function networkChoice(table: BenchTable & { runner: 'classification' }, s: ClassificationSettings): string | undefined {
  if (table.network === 'resnet50') {
    const stages = s.network.stageBlocks ?? RESNET50_STAGES;
    const stem = s.network.stem === 'small' ? 'the small stem (3x3 conv, stride 1, no pool; the usual CIFAR stem)' : "Keras' ImageNet stem (7x7/2 conv + 3x3/2 pool), as the report's Keras code";
    const size = same(stages, RESNET50_STAGES) ? '(3, 4, 6, 3), ResNet-50\'s' : `(${stages.join(', ')}): fewer than ResNet-50's (3, 4, 6, 3), which the paper preset uses`;
    return `ResNet-50 with ${stem}; bottleneck blocks per stage ${size}.`;
  }
  if (table.network === 'densenet') {
    const blocks = s.network.blocks ?? DENSENET121_BLOCKS;
    const growth = s.network.growthRate ?? DENSENET121_GROWTH;
    const full = same(blocks, DENSENET121_BLOCKS) && growth === DENSENET121_GROWTH;
    return (
      `DenseNet layout: blocks (${blocks.join(', ')}), growth ${growth}` +
      (full ? ', DenseNet-121' : ": smaller than DenseNet-121's (6, 12, 24, 16), growth 32, which the paper preset uses") +
      '; the report shows only its first layers.'
    );
  }
  return undefined;
}

function classificationChoices(table: BenchTable & { runner: 'classification' }, s: ClassificationSettings, records: readonly RunRecord[]): string[] {
  const customNet = table.network === 'customNet';
  const trained = used(records, 'trainImages');
  const tested = used(records, 'testImages');
  const count = (values: number[], asked: number) => (values.length === 0 ? `${asked}` : values.join(' or '));
  return [
    `Epochs: ${s.epochs} in these runs (${customNet ? 'the report states 100 for CustomNet' : 'the report states 100 only for CustomNet; its keepProb callback implies a few dozen'}; the paper preset uses ${table.paper.epochs}).`,
    ...[networkChoice(table, s)].filter((x): x is string => x !== undefined),
    `Optimiser: Adam, learning rate ${s.learningRate}, categorical cross-entropy (the report does not name them; 1e-3 is Keras' Adam default).`,
    `Batch size ${s.batchSize} (not stated in the report; the paper preset uses ${table.paper.batchSize}).`,
    `Images: the first ${count(trained, s.trainImages)} training images and the first ${count(tested, s.testImages)} test images (the report used all ${table.paper.trainImages.toLocaleString('en-US')} and ${table.paper.testImages.toLocaleString('en-US')}).`,
    s.augmentation === 'cifar'
      ? 'Augmentation: pad 4 + random crop + horizontal flip (the report does not say; standard for CIFAR-10).'
      : 'No augmentation (the report does not say).',
  ];
}

function detectionChoices(table: BenchTable & { runner: 'detection' }, s: DetectionSettings, records: readonly RunRecord[]): string[] {
  const trained = used(records, 'trainImages');
  const p = table.paper;
  return [
    `Epochs ${s.epochs}, batch ${s.batchSize}, input ${s.inputSize}x${s.inputSize}, learning rate ${s.learningRate} in these runs (none stated in the report; keras-io's RetinaNet example, which the report follows, uses 512 input and batch 2; the paper preset uses ${p.epochs} epochs, input ${p.inputSize}, learning rate ${p.learningRate}).`,
    s.backboneWeights === 'imagenet'
      ? "Backbone: pretrained, Keras' ImageNet ResNet-50 weights (as keras-io's RetinaNet, which the report follows); nothing frozen, BatchNorm as keras-io (batch statistics in training)."
      : s.backboneWeights !== undefined && s.backboneWeights !== 'none'
        ? `Backbone: pretrained, weights loaded from ${s.backboneWeights}; nothing frozen.`
        : "Backbone: trained from scratch (no pretrained weights; keras-io's RetinaNet, which the report follows, starts from ImageNet weights: --backbone-weights imagenet).",
    `Training images: ${trained.length > 0 ? trained.join(' or ') : s.trainImages} of train2017 (${s.trainImages} asked for, capped at what the data holds; the report used "a smaller subset of ~500 images"); val_loss and mAP on ${s.valImages} val2017 images.`,
  ];
}

/** The data line of a table: each distinct data source its records name, or that they name none. */
export function dataChoice(records: readonly RunRecord[]): string {
  const sources = [...new Map(records.filter((r) => r.data !== undefined).map((r) => [r.data?.sha256, r.data])).values()];
  if (sources.length === 0) return 'Data: not recorded (records written before the bench kept which data a run read).';
  const text = sources.map((d) => (d ? dataSourceLine(d) : '')).join('; and ');
  const missing = records.some((r) => r.data === undefined) ? ' (some records do not say)' : '';
  return `Data: ${text}${missing}.`;
}

/** Every choice the report leaves unstated for `table`, the run-dependent ones from `settings` and `records`. */
export function tableChoices(table: BenchTable, settings: TableSettings | undefined, records: readonly RunRecord[]): string[] {
  const ok = records.filter((r) => r.status === 'ok');
  const fromRuns =
    settings === undefined
      ? []
      : table.runner === 'classification'
        ? classificationChoices(table, settings as ClassificationSettings, ok)
        : detectionChoices(table, settings as DetectionSettings, ok);
  return [...fromRuns, dataChoice(records), ...table.assumptions];
}
