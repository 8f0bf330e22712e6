import { existsSync } from 'node:fs';
import path from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { downloadFile, downloadsAllowedByEnv, hashFile, resolveCacheDir } from '@db/datasets';
import { KERAS_RESNET50_NOTOP_WEIGHTS, loadKerasWeights } from '@db/models';

/**
 * Pretrained weights for the RetinaNet backbone: `'imagenet'` (Keras' ImageNet ResNet-50 without its classifier,
 * the file keras-io's example starts from, downloaded once into the cache), the path of a Keras HDF5 weights file
 * (that file or the older keras-applications one), or a function that sets the backbone's weights itself.
 */
export type BackboneWeights = 'imagenet' | string | ((backbone: tfl.LayersModel) => Promise<void>);

/** Where {@link imagenetBackboneFile} looks and whether it may download. */
export interface BackboneWeightsOptions {
  /** Cache folder (default: @db/datasets' `resolveCacheDir`: `DB_CACHE_DIR`, `$XDG_CACHE_HOME/dropblock-tfjs`, ...). */
  cacheDir?: string;
  /** Allow the download. Default: unless `DB_OFFLINE` is set, as the datasets. */
  download?: boolean;
  /** Progress of the download on stderr (default: on a terminal). */
  progress?: boolean;
}

/** Sub-folder of the cache holding Keras' weight files. */
const KERAS_CACHE_FOLDER = 'keras';

/**
 * The path of Keras' ImageNet ResNet-50 notop file ({@link KERAS_RESNET50_NOTOP_WEIGHTS}) in the cache, downloading
 * it first if it is not there (md5-verified before it is renamed into place, as the datasets are). A cached file is
 * checked against the md5 too, so a damaged one is fetched again. Offline, or when every URL fails, it throws an
 * error naming the URL and how to pass a file downloaded by hand.
 */
export async function imagenetBackboneFile(options: BackboneWeightsOptions = {}): Promise<string> {
  const { fileName, urls, url, checksum } = KERAS_RESNET50_NOTOP_WEIGHTS;
  const dest = path.join(resolveCacheDir({ cacheDir: options.cacheDir }), KERAS_CACHE_FOLDER, fileName);
  if (existsSync(dest) && (await hashFile(dest, checksum.algorithm)) === checksum.hex) return dest;
  const byHand =
    `download ${url} (md5 ${checksum.hex}) on a machine with internet access and pass its path instead: ` +
    `backboneWeights: '/path/to/${fileName}' (pnpm bench: --backbone-weights PATH), or put it at ${dest}`;
  const allowed = options.download ?? downloadsAllowedByEnv();
  if (!allowed) {
    throw new Error(`Keras' ImageNet ResNet-50 weights are not in the cache (${dest}) and downloads are off (DB_OFFLINE): ${byHand}`);
  }
  try {
    await downloadFile({ urls, dest, checksum, label: fileName, progress: options.progress });
  } catch (error) {
    throw new Error(`Keras' ImageNet ResNet-50 weights could not be downloaded from ${url} (${(error as Error).message.split('\n')[0]}): ${byHand}`, {
      cause: error,
    });
  }
  return dest;
}

/**
 * Loads `weights` into a RetinaNet backbone (a `resnet50Backbone`) and returns a one-line description of what it
 * loaded, for logs and reports (`imagenet (Keras' ResNet-50 notop, <file>, 106 layers loaded)`, `<file> (106 layers loaded)`
 * or `custom (backboneWeights function)`).
 * A file must hold every layer of the backbone with the backbone's shapes: `loadKerasWeights` names any layer that
 * is missing or has another shape, and then leaves the backbone unchanged.
 */
export async function loadBackboneWeights(backbone: tfl.LayersModel, weights: BackboneWeights, options: BackboneWeightsOptions = {}): Promise<string> {
  if (typeof weights === 'function') {
    await weights(backbone);
    return 'custom (backboneWeights function)';
  }
  if (typeof weights !== 'string' || weights === '') {
    throw new TypeError(`backboneWeights must be 'imagenet', the path of a Keras weights file or a function, got ${String(weights)}`);
  }
  const file = weights === 'imagenet' ? await imagenetBackboneFile(options) : path.resolve(weights);
  if (weights !== 'imagenet' && !existsSync(file)) {
    throw new Error(`backboneWeights: no file at ${file} (give 'imagenet' or the path of Keras' ${KERAS_RESNET50_NOTOP_WEIGHTS.fileName})`);
  }
  const report = await loadKerasWeights(backbone, file);
  const layers = `${report.loaded.length} layers loaded`;
  return weights === 'imagenet' ? `imagenet (Keras' ResNet-50 notop, ${file}, ${layers})` : `${file} (${layers})`;
}
