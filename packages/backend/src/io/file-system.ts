/**
 * `file://` model saving and loading under Node without tfjs-node.
 *
 * tfjs-node registers a `file://` IO router (tfjs-node src/io/file_system.ts); on the wasm and cpu backends nothing
 * does, and `model.save('file://...')` threw "Cannot find any save handlers" (issue 8, item 10). This handler
 * writes and reads tfjs-node's layout, so files move freely between the two:
 * - `<dir>/model.json`: the ModelJSON format of tfjs-core io/types.ts (`modelTopology`, `format`, `generatedBy`,
 *   `convertedBy`, `weightsManifest: [{ paths: ['weights.bin'], weights: [...specs] }]`, and `trainingConfig`,
 *   `signature`, `userDefinedMetadata`, `modelInitializer`, `initializerSignature` when present);
 * - `<dir>/weights.bin`: every weight's bytes, concatenated in manifest order.
 * Saving takes a directory; loading takes the path of a model.json (or of the directory holding one), and reads
 * every weights file its manifest names, relative to it (so multi-shard converter output loads too).
 *
 * Writes are atomic per file: each goes to a temp file in the same directory, then is renamed over its final name;
 * weights.bin is renamed before model.json, so a model.json never points to weights that are not fully written.
 * A crash between the two renames while overwriting can leave new weights beside the old model.json; loading
 * checks each weights file's size against its manifest and names the file when they disagree.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { io } from '@tensorflow/tfjs-core';

/** The URL scheme the routers answer. */
export const FILE_SCHEME = 'file://';
const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/** Bytes per element of each weight dtype tfjs saves (tfjs-core io/types.ts DTYPE_VALUE_SIZE_MAP). */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, uint16: 2, uint8: 1, bool: 1, float16: 2, complex64: 8 };

/** Error for a model file that is missing, unreadable or inconsistent; its message names the file. */
export class ModelFileError extends Error {
  /** The file or directory the error is about. */
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelFileError';
    this.path = path;
  }
}

/** Writes `data` to `file` atomically: a temp file beside it, then rename. Returns nothing until it is in place. */
async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data, { flag: 'wx' });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Bytes a manifest group's weights occupy (quantized weights count their quantized dtype). */
function groupBytes(group: io.WeightsManifestConfig[number]): number {
  let total = 0;
  for (const spec of group.weights) {
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    const size = DTYPE_BYTES[dtype];
    if (size == null) throw new TypeError(`weight '${spec.name}' has dtype '${dtype}', which has no fixed byte size`);
    total += size * spec.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}

async function saveToDirectory(dir: string, artifacts: io.ModelArtifacts): Promise<io.SaveResult> {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new TypeError(`saving to ${FILE_SCHEME}${dir}: binary (GraphDef) model topology is not supported, only JSON`);
  }
  const existing = await stat(dir).catch(() => null);
  if (existing != null && !existing.isDirectory()) {
    throw new ModelFileError(dir, `saving to ${FILE_SCHEME}${dir}: the path exists and is not a directory`);
  }
  await mkdir(dir, { recursive: true });
  const weightSpecs = artifacts.weightSpecs ?? [];
  const weights = new Uint8Array(artifacts.weightData == null ? new ArrayBuffer(0) : io.CompositeArrayBuffer.join(artifacts.weightData));
  const manifest: io.WeightsManifestConfig = [{ paths: [WEIGHTS_BIN], weights: weightSpecs }];
  const expected = groupBytes(manifest[0]);
  if (weights.byteLength !== expected) {
    throw new RangeError(`saving to ${FILE_SCHEME}${dir}: weightData has ${weights.byteLength} bytes, weightSpecs describe ${expected}`);
  }
  // Fields in tfjs-node's order (NodeFileSystem.save), so the files read the same.
  const modelJson: io.ModelJSON = {
    modelTopology: artifacts.modelTopology as {},
    weightsManifest: manifest,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
  };
  if (artifacts.trainingConfig != null) modelJson.trainingConfig = artifacts.trainingConfig;
  if (artifacts.signature != null) modelJson.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata != null) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
  if (artifacts.modelInitializer != null) modelJson.modelInitializer = artifacts.modelInitializer;
  if (artifacts.initializerSignature != null) modelJson.initializerSignature = artifacts.initializerSignature;
  // Weights first: model.json, the file loaders start from, only ever names complete weights.
  await writeAtomic(join(dir, WEIGHTS_BIN), weights);
  await writeAtomic(join(dir, MODEL_JSON), JSON.stringify(modelJson));
  return { modelArtifactsInfo: io.getModelArtifactsInfoForJSON(artifacts) };
}

async function readOrExplain(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : String((error as Error).message);
    throw new ModelFileError(file, `loading ${what} ${file}: ${reason}`, { cause: error });
  }
}

async function loadFromPath(path: string): Promise<io.ModelArtifacts> {
  const info = await stat(path).catch(() => null);
  if (info == null) throw new ModelFileError(path, `loading a model from ${FILE_SCHEME}${path}: the path does not exist`);
  const jsonPath = info.isDirectory() ? join(path, MODEL_JSON) : path;
  const text = (await readOrExplain(jsonPath, 'model JSON')).toString('utf8');
  let modelJson: io.ModelJSON;
  try {
    modelJson = JSON.parse(text) as io.ModelJSON;
  } catch (error) {
    throw new ModelFileError(jsonPath, `loading model JSON ${jsonPath}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (modelJson == null || typeof modelJson !== 'object' || modelJson.modelTopology == null) {
    throw new ModelFileError(jsonPath, `loading model JSON ${jsonPath}: it has no 'modelTopology'; not a TF.js model.json`);
  }
  if (modelJson.weightsManifest != null && !Array.isArray(modelJson.weightsManifest)) {
    throw new ModelFileError(jsonPath, `loading model JSON ${jsonPath}: 'weightsManifest' is not an array`);
  }
  const base = dirname(jsonPath);
  return io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const specs: io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      const files = await Promise.all(group.paths.map((p) => readOrExplain(resolve(base, p), 'weights')));
      const bytes = files.reduce((n, f) => n + f.byteLength, 0);
      const expected = groupBytes(group);
      if (bytes !== expected) {
        const names = group.paths.map((p) => resolve(base, p)).join(', ');
        throw new ModelFileError(names, `loading weights ${names}: ${bytes} bytes, but ${jsonPath} describes ${expected}`);
      }
      specs.push(...group.weights);
      for (const f of files) buffers.push(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength) as ArrayBuffer);
    }
    return [specs, io.CompositeArrayBuffer.join(buffers)];
  });
}

/**
 * An IOHandler for a local path: `save` writes `<path>/model.json` and `<path>/weights.bin` (creating the
 * directory), `load` reads a model.json (the path of the file, or of the directory holding it) and the weights its
 * manifest names. The same layout and JSON fields as tfjs-node's `tf.io.fileSystem`.
 *
 * @example
 * ```ts
 * await model.save(fileSystem('/tmp/my-model'));
 * const again = await tf.loadLayersModel(fileSystem('/tmp/my-model/model.json'));
 * ```
 */
export function fileSystem(path: string): io.IOHandler {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`fileSystem: path must be a non-empty string, got ${typeof path === 'string' ? "''" : String(path)}`);
  }
  return {
    save: (artifacts) => saveToDirectory(path, artifacts),
    load: () => loadFromPath(path),
  };
}

/** The `file://` router: a handler for `file://<path>` URLs, null for anything else. */
export function fileSystemRouter(url: string | string[]): io.IOHandler | null {
  if (typeof url !== 'string' || !url.startsWith(FILE_SCHEME)) return null;
  return fileSystem(url.slice(FILE_SCHEME.length));
}

/**
 * Registers {@link fileSystemRouter} for saving and for loading, each only where no `file://` handler exists yet
 * (tfjs-node registers its own; two handlers for one URL make `model.save` throw). Idempotent. Called by
 * `useFastestBackend()`; call it yourself when you select a backend another way.
 * Returns whether it registered the save and the load router.
 */
export function registerFileSystemRouters(): { save: boolean; load: boolean } {
  const probe = `${FILE_SCHEME}/model.json`;
  const save = io.getSaveHandlers(probe).length === 0;
  const load = io.getLoadHandlers(probe).length === 0;
  // tfjs declares IORouter as returning an IOHandler, but its registry skips routers that return null
  // (router_registry.ts getHandlers), which is how every router declines a URL.
  const router = fileSystemRouter as Parameters<typeof io.registerSaveRouter>[0];
  if (save) io.registerSaveRouter(router);
  if (load) io.registerLoadRouter(router);
  return { save, load };
}
