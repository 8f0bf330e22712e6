import { describeRegularizer, regularizer, type RegularizerSpec } from './spec.js';
import { describeValue } from '@db/core';

/** The three classification networks of the report. */
export type NetworkName = 'customNet' | 'resnet50' | 'densenet';

/** Every {@link NetworkName}, in the order the report presents them. */
export const NETWORK_NAMES: readonly NetworkName[] = ['resnet50', 'densenet', 'customNet'];

/** Short key of one of the report's five forms of a network. */
export type VariantKey = 'none' | 'dropout' | 'spatialDropout' | 'dropBlock3' | 'dropBlock7';

/** One of the five forms a network is trained in, as the report's result tables list them. */
export interface ReportVariant {
  /** Stable key, for file names and lookups. */
  readonly key: VariantKey;
  /** The row label as the report's tables write it, e.g. `ResNet-50 + DropBlock(bs = 3, kp = 0.9)`. */
  readonly label: string;
  /** The regulariser to build the network with. */
  readonly regularizer: RegularizerSpec;
}

const NETWORK_LABEL: Record<NetworkName, string> = {
  customNet: 'Custom Model',
  resnet50: 'ResNet-50',
  densenet: 'DenseNet',
};

/** The label the report gives a network in its tables (`Custom Model`, `ResNet-50`, `DenseNet`). */
export function networkLabel(network: NetworkName): string {
  const label = NETWORK_LABEL[network];
  if (label === undefined) {
    throw new TypeError(`network must be one of ${Object.keys(NETWORK_LABEL).join(', ')}, got ${describeValue(network)}`);
  }
  return label;
}

/**
 * The report's five forms of `network`, as data: none, Dropout(0.25), SpatialDropout(0.7) (0.3 for DenseNet, as the
 * report's DenseNet tables say), DropBlock(3, 0.9) and DropBlock(7, 0.9). The same settings are used for CIFAR-10
 * and MNIST in the report.
 */
export function reportVariants(network: NetworkName): readonly ReportVariant[] {
  const name = networkLabel(network);
  const spatialRate = network === 'densenet' ? 0.3 : 0.7;
  const forms: Array<[VariantKey, RegularizerSpec]> = [
    ['none', regularizer.none()],
    ['dropout', regularizer.dropout(0.25)],
    ['spatialDropout', regularizer.spatialDropout(spatialRate)],
    ['dropBlock3', regularizer.dropBlock(3, 0.9)],
    ['dropBlock7', regularizer.dropBlock(7, 0.9)],
  ];
  return forms.map(([key, spec]) => ({
    key,
    label: spec.kind === 'none' ? name : `${name} + ${describeRegularizer(spec)}`,
    regularizer: spec,
  }));
}
