import * as tfl from '@tensorflow/tfjs-layers';
import { regularizerLayer, SeedSequence, type RegularizerSpec } from '@db/models';
import { FPN_OPTION_KEYS, assertKnownOptions } from '../option-keys.js';

/** Channels of every FPN level and of the heads (Lin et al. 2017, sec. 4: "all pyramid levels have C = 256"). */
export const FPN_CHANNELS = 256;

/** What {@link featurePyramid} needs besides the backbone outputs. */
export interface FpnOptions {
  /** Seeds of the conv kernels (Glorot uniform, the Keras default keras-io keeps). */
  seeds: SeedSequence;
  /** Seeds of the regulariser masks. */
  maskSeeds: SeedSequence;
  /** Regulariser applied to each output level P3..P7, or `none`. */
  regularizer: RegularizerSpec;
}

function conv(x: tfl.SymbolicTensor, kernelSize: number, strides: number, name: string, seeds: SeedSequence): tfl.SymbolicTensor {
  const layer = tfl.layers.conv2d({
    filters: FPN_CHANNELS,
    kernelSize,
    strides,
    padding: 'same',
    kernelInitializer: seeds.glorotUniform(),
    biasInitializer: 'zeros',
    name,
  });
  return layer.apply(x) as tfl.SymbolicTensor;
}

/**
 * RetinaNet's feature pyramid (Lin et al. 2017, sec. 4 and FPN, Lin et al. CVPR 2017; keras-io `FeaturePyramid`):
 * P5 = 1x1(C5); P4 = 1x1(C4) + up2(P5); P3 = 1x1(C3) + up2(P4); a 3x3 conv on each of P3..P5; P6 = 3x3 stride 2 on
 * C5; P7 = 3x3 stride 2 on ReLU(P6). All 256 channels. With a regulariser, it follows each output level.
 */
export function featurePyramid(c3: tfl.SymbolicTensor, c4: tfl.SymbolicTensor, c5: tfl.SymbolicTensor, options: FpnOptions): tfl.SymbolicTensor[] {
  assertKnownOptions(options, FPN_OPTION_KEYS, 'featurePyramid options');
  const { seeds } = options;
  const up = (x: tfl.SymbolicTensor, name: string) => tfl.layers.upSampling2d({ size: [2, 2], name }).apply(x) as tfl.SymbolicTensor;
  const add = (a: tfl.SymbolicTensor, b: tfl.SymbolicTensor, name: string) => tfl.layers.add({ name }).apply([a, b]) as tfl.SymbolicTensor;
  let p3 = conv(c3, 1, 1, 'fpn_c3_1x1', seeds);
  let p4 = conv(c4, 1, 1, 'fpn_c4_1x1', seeds);
  let p5 = conv(c5, 1, 1, 'fpn_c5_1x1', seeds);
  p4 = add(p4, up(p5, 'fpn_p5_up'), 'fpn_p4_add');
  p3 = add(p3, up(p4, 'fpn_p4_up'), 'fpn_p3_add');
  p3 = conv(p3, 3, 1, 'fpn_p3', seeds);
  p4 = conv(p4, 3, 1, 'fpn_p4', seeds);
  p5 = conv(p5, 3, 1, 'fpn_p5', seeds);
  const p6 = conv(c5, 3, 2, 'fpn_p6', seeds);
  const p6Relu = tfl.layers.reLU({ name: 'fpn_p6_relu' }).apply(p6) as tfl.SymbolicTensor;
  const p7 = conv(p6Relu, 3, 2, 'fpn_p7', seeds);
  return [p3, p4, p5, p6, p7].map((p, i) => {
    const layer = regularizerLayer(options.regularizer, `fpn_p${i + 3}_drop`, options.maskSeeds);
    return layer === null ? p : (layer.apply(p) as tfl.SymbolicTensor);
  });
}
