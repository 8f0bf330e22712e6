/**
 * `pnpm bench:models`: for each of the report's networks, its parameter count and its forward + backward time per
 * image (one gradient of the cross-entropy loss with respect to every trainable weight, in training mode, no
 * optimiser update), on the backend `useFastestBackend` picks, in the plain form and with DropBlock(3, 0.9), so the
 * DropBlock overhead is a ratio measured in one run.
 *
 * Options: --batch N (images per pass, default 8; at 16 ResNet-50 with the small stem outgrows the wasm heap, and
 *          tfjs-backend-wasm then fails with 'memory access out of bounds' instead of an out-of-memory error)
 *          --reps N (timed passes, default 5; the fastest and the median are printed: on a shared machine the
 *          fastest pass is the steadier figure)
 *          --networks customnet,resnet50,resnet50-small,densenet121  --backend NAME (same as DB_BACKEND)
 */
import * as tf from '@tensorflow/tfjs';
import { useFastestBackend } from '@db/backend';
import { customNet, densenet, regularizer, resnet50, type RegularizerSpec } from '@db/models';
import { forwardBackwardMs } from './forward-backward.js';
import { startTicker } from './tick.js';

type NetworkKey = 'customnet' | 'resnet50' | 'resnet50-small' | 'densenet121';
const SHAPE = [32, 32, 3] as const;
const NETWORKS: Record<NetworkKey, { label: string; build: (r: RegularizerSpec) => tf.LayersModel }> = {
  customnet: { label: 'CustomNet', build: (r) => customNet({ inputShape: SHAPE, numClasses: 10, regularizer: r }) },
  resnet50: {
    label: 'ResNet-50 (ImageNet stem)',
    build: (r) => resnet50({ inputShape: SHAPE, numClasses: 10, regularizer: r, stem: 'imagenet' }),
  },
  'resnet50-small': {
    label: 'ResNet-50 (small stem)',
    build: (r) => resnet50({ inputShape: SHAPE, numClasses: 10, regularizer: r, stem: 'small' }),
  },
  densenet121: { label: 'DenseNet-121', build: (r) => densenet({ inputShape: SHAPE, numClasses: 10, regularizer: r }) },
};
const FORMS: Array<[string, RegularizerSpec]> = [
  ['plain', regularizer.none()],
  ['DropBlock(3, 0.9)', regularizer.dropBlock(3, 0.9)],
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function positiveInt(name: string, fallback: number): number {
  const raw = arg(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer, got '${raw}'`);
  return n;
}

function networks(): NetworkKey[] {
  const raw = arg('networks');
  if (raw === undefined) return Object.keys(NETWORKS) as NetworkKey[];
  const keys = raw.split(',').map((s) => s.trim().toLowerCase());
  for (const k of keys) {
    if (!(k in NETWORKS)) throw new RangeError(`--networks: unknown '${k}' (use ${Object.keys(NETWORKS).join(', ')})`);
  }
  return keys as NetworkKey[];
}

async function main(): Promise<void> {
  const batch = positiveInt('batch', 8);
  const reps = positiveInt('reps', 5);
  await useFastestBackend({ force: arg('backend') });
  const backend = tf.getBackend();
  console.log(`bench:models  backend=${backend}  batch=${batch}  reps=${reps} (fastest / median per image)  input=${SHAPE.join('x')}`);
  const x = tf.randomUniform([batch, ...SHAPE], 0, 1, 'float32', 1);
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2) as tf.Tensor1D, 10).toFloat());
  console.log('Each line: fastest / median milliseconds per image of one forward + backward pass; "x1.10 of plain" = DropBlock makes a pass 10% slower.');
  for (const key of networks()) {
    const { label, build } = NETWORKS[key];
    let plainMs = 0;
    for (const [formLabel, spec] of FORMS) {
      const stop = startTicker(`${label} ${formLabel}`);
      try {
        const model = build(spec);
        const params = model.countParams().toLocaleString('en-US');
        const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
        const { min, median } = await forwardBackwardMs(
          () => tf.metrics.categoricalCrossentropy(y, model.apply(x, { training: true }) as tf.Tensor).mean() as tf.Scalar,
          vars,
          reps,
        );
        if (spec.kind === 'none') plainMs = min;
        const ratio = spec.kind === 'none' ? '' : ` (x${(min / plainMs).toFixed(2)} of plain)`;
        console.log(`${label}, ${formLabel}: ${params} parameters; ${(min / batch).toFixed(1)} / ${(median / batch).toFixed(1)} ms/image on ${backend}${ratio}`);
        model.dispose();
      } finally {
        await stop();
      }
    }
  }
  tf.dispose([x, y]);
}

main()
  .catch((error: unknown) => {
    console.error(`bench:models: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  })
  // The threaded wasm backend's pthread workers keep Node's event loop alive: exit explicitly.
  .finally(() => process.exit());
