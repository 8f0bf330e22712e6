/**
 * Keras' published ImageNet weights of ResNet-50 without its classifier, the file `keras.applications.ResNet50(
 * include_top=False)` downloads and keras-io's RetinaNet example starts from, as data for a downloader (the URL and
 * hash come from `keras/src/applications/resnet.py`: `BASE_WEIGHTS_PATH` + file name, `WEIGHTS_HASHES['resnet50'][1]`;
 * Keras' `get_file` treats a 32-digit hash as md5). @db/models downloads nothing: a package that may touch the
 * network (e.g. through @db/datasets' verified cache) fetches the file, then {@link loadKerasWeights} reads it.
 */
export const KERAS_RESNET50_NOTOP_WEIGHTS = {
  /** The file name Keras caches it under (`~/.keras/models/`). */
  fileName: 'resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5',
  /** Keras' release asset (`keras.applications.ResNet50` since Keras 2.3 / TF 2 downloads it from here). */
  url: 'https://storage.googleapis.com/tensorflow/keras-applications/resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5',
  /**
   * Where to try, in order (@db/datasets' `downloadFile` takes such a list): Keras' URL, then keras-applications
   * 1.0.8's GitHub release of the file, published with the same md5 (`keras_applications/resnet_common.py`).
   * Not the older fchollet/deep-learning-models v0.2 file (md5 a268eb855778b3df3c7506639542a6af), which Keras 2.2
   * used: different bytes, but it loads too, its layer names being @db/models' own.
   */
  urls: [
    'https://storage.googleapis.com/tensorflow/keras-applications/resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5',
    'https://github.com/keras-team/keras-applications/releases/download/resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5',
  ],
  /** The published hash of the file's bytes (same shape as @db/datasets' `Checksum`). */
  checksum: { algorithm: 'md5', hex: '4d473c1dd8becc155b73f8504c6f6626' },
  /**
   * The BatchNormalization epsilon these weights were made for (Keras' ResNet50 builds every BN with 1.001e-5); pass
   * it as `batchNormEpsilon` to {@link resnet50} / {@link resnet50Backbone} for Keras' exact features.
   */
  batchNormEpsilon: 1.001e-5,
  /**
   * The input these weights expect (`keras.applications.resnet50.preprocess_input`, mode `'caffe'`): pixels 0..255
   * in BGR order, each channel minus its ImageNet mean (B, G, R order), no scaling.
   */
  preprocessing: { channelOrder: 'BGR', mean: [103.939, 116.779, 123.68] },
} as const;

/** Our branch suffix to Keras 2.2.5+'s component number (0 is the projection shortcut). */
const BRANCH_COMPONENT: Record<string, number> = { '1': 0, '2a': 1, '2b': 2, '2c': 3 };

/**
 * The names Keras 2.2.5+ (`keras.applications.ResNet50`, and the file above) gives to the layers that @db/models
 * names in the style of the original keras-applications ResNet50 (`res3d_branch2b`, `bn3d_branch2b`, `conv1`,
 * `bn_conv1`; also the names in the older fchollet/deep-learning-models file, which therefore loads as it is).
 * Keras 2.2.5+ numbers blocks from 1 and components 0 (the shortcut) to 3: `res3d_branch2b` is `conv3_block4_2_conv`.
 *
 * @returns the Keras name, or undefined for a name outside that scheme.
 */
export function kerasApplicationsName(layerName: string): string | undefined {
  if (layerName === 'conv1') return 'conv1_conv';
  if (layerName === 'bn_conv1') return 'conv1_bn';
  // Block ids are a letter per block (a..z) and `_<index>` beyond 26 blocks (resnet50.ts, blockLetter).
  const match = /^(res|bn)(\d)([a-z]|_\d+)_branch(1|2a|2b|2c)$/.exec(layerName);
  if (match === null) return undefined;
  const [, kind, stage, block, branch] = match;
  const index = block.startsWith('_') ? Number(block.slice(1)) : block.charCodeAt(0) - 97;
  const component = BRANCH_COMPONENT[branch];
  return `conv${stage}_block${index + 1}_${component}_${kind === 'res' ? 'conv' : 'bn'}`;
}
