/**
 * The DropBlock report's seven result tables, as data: what each trains (data, network, rows), the report's figure
 * for every row, the training settings at the report's scale (the `paper` preset), and every choice the report leaves
 * unstated, written down beside the table so the bench can print it.
 *
 * Source: /work/shared/report/dropblock-report.md (Ottobre & Evangelista, "DropBlock: a regularization method for
 * convolutional networks", La Sapienza). The rows' regularisers come from `@db/models`' `reportVariants`, which
 * encodes the report's five forms of each network; RetinaNet's seven rows are listed here.
 */
import { networkLabel, regularizer, reportVariants, type NetworkName, type RegularizerSpec } from '@db/models';

/** A dataset a table trains on. */
export type DatasetName = 'cifar10' | 'mnist' | 'coco';

/** Which runner module trains a table's runs (see `runners/registry.ts`). */
export type RunnerKind = 'classification' | 'detection';

/** The figure the report prints for one row: accuracy (tables 1-6) or loss / val_loss (table 7). */
export type ReportedFigure = { accuracy: number } | { loss: number; valLoss: number };

/** One row of a table: a regulariser and the report's figure for it. */
export interface TableRow {
  /** Stable key used on the command line (`--rows`) and in result records, e.g. `dropBlock3`. */
  readonly key: string;
  /** The row label as the report writes it. */
  readonly label: string;
  /** The regulariser the network is built with. */
  readonly regularizer: RegularizerSpec;
  /** The report's figure for this row (single run, no spread). */
  readonly reported: ReportedFigure;
}

/** Training settings of a classification table (tables 1-6). */
export interface ClassificationSettings {
  /** Passes over the training images. */
  epochs: number;
  /** Images per step. */
  batchSize: number;
  /** Training images used (the first N of the training split, in file order). */
  trainImages: number;
  /** Test images the accuracy is measured on (the first N of the test split). */
  testImages: number;
  /** Adam's learning rate (Kingma & Ba, 2015). */
  learningRate: number;
  /** `cifar`: pad 4 + random 32x32 crop + horizontal flip (He et al. 2016, sec. 4.2); `none`: no augmentation. */
  augmentation: 'cifar' | 'none';
  /** Network size: ResNet stage blocks, DenseNet blocks and growth rate (the architecture is unchanged). */
  network: NetworkSize;
  /** BatchNorm statistics the evaluation uses: {@link BatchNormStatistics}. */
  bnStatistics: BatchNormStatistics;
  /** Training images the `precise` statistics are recomputed on (all training images when the run has fewer). */
  bnImages: number;
}

/**
 * BatchNorm statistics of the evaluation. `precise`: before each evaluation every BN layer's mean and variance are
 * recomputed over `bnImages` training images with the weights frozen ("precise BN": Wu & Johnson 2021, Rethinking
 * "Batch" in BatchNorm, sec. 3; @db/models' recalibrateBatchNorm). `moving`: Keras' own moving averages (momentum
 * 0.99), which after a few hundred steps still sit near their initial (0, 1) and put short runs at chance.
 */
export type BatchNormStatistics = 'precise' | 'moving';

/** Training images precise BN recomputes the statistics on by default (the ">= 1,000"; a power of 2 of batches). */
export const DEFAULT_BN_IMAGES = 1024;

/** Size knobs of the networks (`@db/models` options). Empty means the report's full network. */
export interface NetworkSize {
  /** ResNet-50 bottleneck blocks per stage; default [3, 4, 6, 3]. */
  stageBlocks?: [number, number, number, number];
  /** ResNet stem; default `imagenet` (Keras' ResNet50, the report's). */
  stem?: 'imagenet' | 'small';
  /** DenseNet dense layers per block; default [6, 12, 24, 16] (DenseNet-121). */
  blocks?: number[];
  /** DenseNet growth rate; default 32. */
  growthRate?: number;
}

/** Training settings of the detection table (table 7), passed to `@db/detection`'s `trainRetinaNet`. */
export interface DetectionSettings {
  /** Passes over the training images. */
  epochs: number;
  /** Images per step. */
  batchSize: number;
  /** Training images of the COCO subset (train2017 split). */
  trainImages: number;
  /** Validation images (val2017 split) for val_loss and COCO mAP. */
  valImages: number;
  /** Side of the square network input in pixels. */
  inputSize: number;
  /** Learning rate. */
  learningRate: number;
  /** Whether the regulariser is also placed in the FPN (the report: "inside ResNet-50 FPN"). */
  regularizeFpn: boolean;
  /** BatchNorm statistics of the validation loss (see {@link BatchNormStatistics}). */
  bnStatistics: BatchNormStatistics;
  /** Training images the `precise` statistics are recomputed on (capped at the run's training images). */
  bnImages: number;
  /**
   * The backbone's starting weights: `'none'` (from scratch), `'imagenet'` (Keras' ImageNet ResNet-50 notop file, as
   * keras-io's RetinaNet and so the report start from) or the path of a Keras HDF5 file (`--backbone-weights`).
   */
  backboneWeights: string;
}

interface TableBase {
  /** Table number, 1-7, in the order the issue lists them. */
  readonly id: number;
  /** Title as the bench prints it. */
  readonly title: string;
  /** Dataset. */
  readonly dataset: DatasetName;
  /** Network label, e.g. `ResNet-50`. */
  readonly networkLabel: string;
  /** The rows, in the report's order. */
  readonly rows: readonly TableRow[];
  /**
   * Choices the report does not state, and what the bench does instead, that hold whatever the run's settings;
   * printed in the plan and the report. The report adds those that depend on the settings and the data (epochs,
   * batch size, learning rate, network size, augmentation, which data) from what the runs used: report/choices.ts.
   */
  readonly assumptions: readonly string[];
  /** Where the report presents this table. */
  readonly reportSection: string;
}

/** A classification table: accuracy on the test set. */
export interface ClassificationTable extends TableBase {
  /** Runner kind. */
  readonly runner: 'classification';
  /** Dataset. */
  readonly dataset: 'cifar10' | 'mnist';
  /** The `@db/models` network. */
  readonly network: NetworkName;
  /** Input `[height, width, channels]`. */
  readonly inputShape: [number, number, number];
  /** Settings at the report's scale: the `paper` preset. */
  readonly paper: ClassificationSettings;
}

/** The detection table: RetinaNet loss and val_loss (and COCO mAP, which the report lacks). */
export interface DetectionTable extends TableBase {
  /** Runner kind. */
  readonly runner: 'detection';
  /** Dataset. */
  readonly dataset: 'coco';
  /** Settings at the report's scale: the `paper` preset. */
  readonly paper: DetectionSettings;
}

/** One of the seven tables. */
export type BenchTable = ClassificationTable | DetectionTable;

/** The keepProb schedule of the DropBlock rows; the same for every table. */
export const KEEP_PROB_SCHEDULE =
  'DropBlock rows: keepProb falls linearly from 1.0 at the first step to the row keepProb at the last step ' +
  '(@db/schedule linearSchedule, updated per batch: Ghiasi et al. 2018, sec. 3 "Scheduled DropBlock"; the report ' +
  'lowered it per epoch in a callback).';

const SHARED_CLASSIFICATION_ASSUMPTIONS = [
  'Accuracy is measured after the last epoch on the test images (the report shows final accuracy of Keras\' fit with validation_data = test set).',
  'Seeds: seed s initialises the weights (glorot_uniform seeded per layer, like the report\'s seed=0), the masks and the data order; the report ran each row once.',
  KEEP_PROB_SCHEDULE,
];
const CIFAR_ASSUMPTIONS = ['Inputs normalised per channel with CIFAR-10\'s mean and std.'];
const MNIST_ASSUMPTIONS = ['Inputs normalised with MNIST\'s mean and std (not stated in the report).'];

function classificationRows(network: NetworkName, figures: readonly number[]): TableRow[] {
  return reportVariants(network).map((v, i) => ({
    key: v.key,
    label: v.label,
    regularizer: v.regularizer,
    reported: { accuracy: figures[i] },
  }));
}

function classificationTable(
  id: number,
  dataset: 'cifar10' | 'mnist',
  network: NetworkName,
  figures: readonly number[],
  epochs: number,
  reportSection: string,
): ClassificationTable {
  const cifar = dataset === 'cifar10';
  return {
    id,
    runner: 'classification',
    title: `${networkLabel(network)} on ${cifar ? 'CIFAR-10' : 'MNIST'}`,
    dataset,
    network,
    networkLabel: network === 'customNet' ? 'CustomNet' : networkLabel(network),
    inputShape: cifar ? [32, 32, 3] : [28, 28, 1],
    rows: classificationRows(network, figures),
    paper: {
      epochs,
      batchSize: 64,
      trainImages: cifar ? 50_000 : 60_000,
      testImages: 10_000,
      learningRate: 1e-3,
      augmentation: cifar ? 'cifar' : 'none',
      network: {},
      bnStatistics: 'precise',
      bnImages: DEFAULT_BN_IMAGES,
    },
    assumptions: [
      ...SHARED_CLASSIFICATION_ASSUMPTIONS,
      ...(cifar ? CIFAR_ASSUMPTIONS : MNIST_ASSUMPTIONS),
    ],
    reportSection,
  };
}

/** The report's RetinaNet rows (table 7), in its order, with its loss / val_loss. */
const RETINANET_ROWS: readonly TableRow[] = [
  { key: 'none', label: 'RetinaNet', regularizer: regularizer.none(), reported: { loss: 1.6236, valLoss: 2.6221 } },
  { key: 'dropout', label: 'RetinaNet + Dropout(0.25)', regularizer: regularizer.dropout(0.25), reported: { loss: 1.6299, valLoss: 2.5462 } },
  { key: 'spatialDropout', label: 'RetinaNet + SpatialDropout(0.7)', regularizer: regularizer.spatialDropout(0.7), reported: { loss: 1.838, valLoss: 2.6808 } },
  { key: 'dropBlock7kp07', label: 'RetinaNet + DropBlock(bs = 7, kp = 0.7)', regularizer: regularizer.dropBlock(7, 0.7), reported: { loss: 1.7043, valLoss: 2.5539 } },
  { key: 'dropBlock7', label: 'RetinaNet + DropBlock(bs = 7, kp = 0.9)', regularizer: regularizer.dropBlock(7, 0.9), reported: { loss: 1.6841, valLoss: 2.554 } },
  { key: 'dropBlock3kp07', label: 'RetinaNet + DropBlock(bs = 3, kp = 0.7)', regularizer: regularizer.dropBlock(3, 0.7), reported: { loss: 1.6414, valLoss: 2.6322 } },
  { key: 'dropBlock3', label: 'RetinaNet + DropBlock(bs = 3, kp = 0.9)', regularizer: regularizer.dropBlock(3, 0.9), reported: { loss: 1.6985, valLoss: 2.601 } },
];

/** The seven tables, in the order (1-3 CIFAR-10, 4-6 MNIST, 7 COCO). */
export const TABLES: readonly BenchTable[] = [
  classificationTable(1, 'cifar10', 'resnet50', [0.6878, 0.6619, 0.5477, 0.6935, 0.6743], 50, 'ResNet-50 Experiment'),
  classificationTable(2, 'cifar10', 'densenet', [0.6581, 0.606, 0.6105, 0.704, 0.7146], 50, 'DenseNet Experiment'),
  classificationTable(3, 'cifar10', 'customNet', [0.7813, 0.8264, 0.7617, 0.8004, 0.7956], 100, 'CustomNet Experiment'),
  classificationTable(4, 'mnist', 'densenet', [0.9899, 0.9893, 0.9799, 0.991, 0.9919], 50, 'Results on MNIST (DenseNet)'),
  classificationTable(5, 'mnist', 'resnet50', [0.99, 0.992, 0.9807, 0.9898, 0.9876], 50, 'Results on MNIST (ResNet-50)'),
  classificationTable(6, 'mnist', 'customNet', [0.9939, 0.9945, 0.9941, 0.9931, 0.9945], 100, 'Results on MNIST (CustomNet)'),
  {
    id: 7,
    runner: 'detection',
    title: 'RetinaNet (ResNet-50 FPN) on the COCO-2017 subset',
    dataset: 'coco',
    networkLabel: 'RetinaNet R50-FPN',
    rows: RETINANET_ROWS,
    paper: { epochs: 50, batchSize: 2, trainImages: 500, valImages: 158, inputSize: 512, learningRate: 1e-4, regularizeFpn: true, bnStatistics: 'precise', bnImages: DEFAULT_BN_IMAGES, backboneWeights: 'none' },
    assumptions: [
      'loss / val_loss: the last epoch\'s (the report says it "considered the lowest loss value"; the bench reports both final and lowest).',
      'Regulariser inside the backbone and the FPN ("we have inserted inside ResNet-50 FPN the DropBlock method").',
      KEEP_PROB_SCHEDULE,
      'COCO mAP (pycocotools order, stats[0] = AP@[.5:.95]) on the validation images, which the report does not give.',
    ],
    reportSection: 'RetinaNet on ResNet-50 FPN Experiment',
  },
];

/** The table with number `id`, or a RangeError naming the bad value. */
export function tableById(id: number): BenchTable {
  const table = TABLES.find((t) => t.id === id);
  if (table === undefined) throw new RangeError(`--tables: unknown table '${id}' (use 1-${TABLES.length})`);
  return table;
}

/** The metric a table is judged on: final test accuracy (higher is better) or final val_loss (lower is better). */
export function primaryMetric(table: BenchTable): { key: 'accuracy' | 'valLoss'; label: string; higherIsBetter: boolean } {
  return table.runner === 'classification'
    ? { key: 'accuracy', label: 'accuracy', higherIsBetter: true }
    : { key: 'valLoss', label: 'val_loss', higherIsBetter: false };
}
