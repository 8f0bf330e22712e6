/**
 * `pnpm bench:detection`: forward + backward time per image of the full RetinaNet (ResNet-50 FPN, 80 classes) at
 * 256, 512 and 640 px on the backend `useFastestBackend` picks: one gradient of keras-io's loss with respect to every
 * trainable weight, in training mode, no optimiser update, on random images with targets encoded from random boxes.
 *
 * Each size runs in its own child process: the wasm heap is 32-bit (4 GB), and when a pass outgrows it
 * tfjs-backend-wasm aborts the whole process, so a size that does not fit is reported instead of ending the bench.
 *
 * A pass that needs more than the 4 GB once stalled the threaded wasm backend (seen at 640 px, 4.49 GB resident for 9
 * minutes); @db/backend's heap guard now turns a failed allocation into a WasmHeapExhaustedError at once. Each child
 * still has a time limit, and the parent samples its resident memory (Linux) to say what happened.
 *
 * Options: --sizes 256,512,640  --batch N (images per pass, default 1)  --reps N (timed passes after one warm-up,
 *          default 2; fastest and median are printed)  --backend NAME (same as DB_BACKEND)
 *          --timeout SECONDS (per size, default 900)
 *
 * First it prints, when a COCO root is found (--data-dir DIR or DB_DATA_DIR), the matchable fraction of its val2017
 * non-crowd boxes at 128, 256, 512 and 640 px: the share that has at least one positive anchor, with low-quality
 * matches (the default) and with keras-io's rule (IoU >= 0.5 only). --no-matching skips it.
 *
 * Last it runs `pnpm bench:coco-eval` (evaluateCoco's time on a val2017-sized set) in a child process; --no-coco-eval
 * skips it. (It used to be chained after this file in package.json, which handed this command's options to it.)
 *
 * --draw DIR --detections FILE [--data-dir DIR] [--split val2017] [--score 0.3] [--images ID,ID]: instead of timing,
 * writes one PNG per image of the split with its ground-truth boxes (green) and the detections of FILE (a COCO results
 * file, red, class and score) into DIR.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { useFastestBackend } from '@db/backend';
import { loadCoco, resolveDataDir } from '@db/datasets';
import { buildRetinaNet, drawCocoDetections, encodeLabels, matchableFraction, retinaNetLoss, type CocoDetection } from '@db/detection';
import { forwardBackwardMs } from './forward-backward.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function positiveInt(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer, got '${raw}'`);
  return n;
}

/** Child mode: times one size and prints one JSON line. */
async function timeSize(size: number, batch: number, reps: number): Promise<void> {
  await useFastestBackend({ force: arg('backend'), log: () => {} });
  const net = buildRetinaNet({ inputSize: size, numClasses: 80 });
  const n = net.anchorCount;
  const boxTargets = new Float32Array(batch * n * 4);
  const classTargets = new Float32Array(batch * n);
  for (let b = 0; b < batch; b++) {
    // Three fixed boxes per image, so the loss has positives of several sizes.
    const s = size / 640;
    const boxes = new Float32Array([40, 60, 200, 300, 300, 100, 620, 420, 100, 400, 180, 470].map((v) => v * s));
    const enc = encodeLabels(net.anchors, boxes, [0, 17, 56]);
    boxTargets.set(enc.boxTargets, b * n * 4);
    classTargets.set(enc.classTargets, b * n);
  }
  const x = tf.randomUniform([batch, size, size, 3], -120, 130, 'float32', 1) as tf.Tensor4D;
  const bt = tf.tensor3d(boxTargets, [batch, n, 4]);
  const ct = tf.tensor2d(classTargets, [batch, n]);
  const vars = net.model.trainableWeights.map((w) => w.read() as tf.Variable);
  const ms = await forwardBackwardMs(() => retinaNetLoss(net.predict(x, true), bt, ct).total, vars, reps);
  const [min, median] = [ms.min / batch, ms.median / batch];
  // The wasm heap never shrinks, so its size now is the high-water mark of the passes (weights included).
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  const heapBytes = wasm?.HEAPU8?.length ?? null;
  const result = { size, backend: tf.getBackend(), params: net.model.countParams(), anchors: n, min, median, heapBytes };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** The COCO split of --data-dir / DB_DATA_DIR, or undefined when there is none. */
async function cocoSplit(split: string, required: boolean) {
  const dataDir = resolveDataDir({ dataDir: arg('data-dir') });
  if (dataDir === undefined) {
    if (required) throw new RangeError('--draw needs the COCO root: --data-dir DIR (or DB_DATA_DIR)');
    return undefined;
  }
  try {
    return await loadCoco({ dataDir, split, log: false });
  } catch (error) {
    if (required) throw error;
    return undefined;
  }
}

/** Matchable fraction of the val2017 non-crowd boxes per input size, both matching rules. */
async function printMatchable(): Promise<void> {
  const val = await cocoSplit('val2017', false);
  if (val === undefined) {
    console.log('matchable boxes: skipped, no COCO val2017 found (--data-dir DIR or DB_DATA_DIR)');
    return;
  }
  console.log(`matchable boxes: val2017 of ${val.annotationFile}, non-crowd boxes with at least one positive anchor`);
  console.log('| input | boxes | low-quality matches (default) | keras-io (IoU >= 0.5 only) |');
  console.log('|---|---|---|---|');
  for (const size of [128, 256, 512, 640]) {
    const on = matchableFraction(val, size);
    const off = matchableFraction(val, size, { allowLowQualityMatches: false });
    const pct = (r: typeof on) => `${(100 * r.fraction).toFixed(1)}% (${r.matchable})`;
    console.log(`| ${size} px | ${on.boxes} | ${pct(on)} | ${pct(off)} |`);
  }
}

/** --draw: PNGs of a detections file over its split's images. */
async function draw(dir: string): Promise<void> {
  const file = arg('detections');
  if (file === undefined) throw new RangeError('--draw DIR needs --detections FILE (a COCO results JSON)');
  const split = await cocoSplit(arg('split') ?? 'val2017', true);
  const detections = JSON.parse(readFileSync(file, 'utf8')) as CocoDetection[];
  const score = arg('score') === undefined ? 0.3 : Number(arg('score'));
  if (!(score >= 0 && score <= 1)) throw new RangeError(`--score must be in [0, 1], got '${arg('score')}'`);
  const ids = arg('images')?.split(',').map(Number);
  const written = await drawCocoDetections(split!, detections, dir, { scoreThreshold: score, imageIds: ids });
  console.log(`bench:detection --draw: ${written.length} PNG(s) in ${dir} (ground truth green, detections with score >= ${score} red)`);
}

async function main(): Promise<void> {
  const drawDir = arg('draw');
  if (drawDir !== undefined) return draw(drawDir);
  const batch = positiveInt(arg('batch'), 'batch', 1);
  const reps = positiveInt(arg('reps'), 'reps', 2);
  const child = arg('child-size');
  if (child !== undefined) return timeSize(positiveInt(child, 'child-size', 256), batch, reps);
  const timeoutSeconds = positiveInt(arg('timeout'), 'timeout', 900);
  const sizes = (arg('sizes') ?? '256,512,640').split(',').map((s) => positiveInt(s.trim(), 'sizes', 256));
  if (!process.argv.includes('--no-matching')) await printMatchable();
  console.log(`bench:detection  RetinaNet ResNet-50 FPN, 80 classes  batch=${batch}  reps=${reps} (fastest / median per image)`);
  for (const size of sizes) {
    const args = [...process.execArgv, process.argv[1], '--child-size', String(size), '--batch', String(batch), '--reps', String(reps)];
    if (arg('backend')) args.push('--backend', arg('backend') as string);
    const run = await runChild(args, timeoutSeconds);
    const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
    if (run.status === 0 && line) {
      const r = JSON.parse(line) as { backend: string; params: number; anchors: number; min: number; median: number; heapBytes: number | null };
      const heap = r.heapBytes == null ? '' : `; wasm heap ${(r.heapBytes / 2 ** 30).toFixed(2)} of 4 GB`;
      console.log(
        `${size} px: ${r.anchors.toLocaleString('en-US')} anchors, ${r.params.toLocaleString('en-US')} parameters; ` +
          `forward+backward on ${r.backend}: ${(r.min / 1000).toFixed(2)} / ${(r.median / 1000).toFixed(2)} s/image${heap}`,
      );
    } else {
      const rss = run.peakRssBytes > 0 ? `, peak resident ${(run.peakRssBytes / 2 ** 30).toFixed(2)} GB` : '';
      let why: string;
      if (run.timedOut) {
        why =
          run.peakRssBytes >= 4 * 2 ** 30
            ? `no result within ${timeoutSeconds} s${rss}: it reached the wasm heap's 4 GB limit`
            : `no result within ${timeoutSeconds} s${rss} (--timeout to wait longer)`;
      } else {
        why = /Aborted|out of memory|memory access out of bounds|WasmHeapExhaustedError|outgrew the wasm heap/i.test(run.stderr) ? `outgrew the backend memory (wasm heap: 4 GB)${rss}` : `exit ${run.status}${rss}`;
      }
      // The error's own line (Node prints an error's fields after it, so the last line may be a lone '}').
      const lines = run.stderr.split('\n').filter((l) => l.trim() && l.length < 300);
      const last = run.timedOut ? '' : (lines.filter((l) => /\w*Error\b/.test(l)).slice(-1)[0] ?? lines.slice(-1)[0] ?? '');
      console.log(`${size} px: failed, ${why}${last ? ` (${last.trim()})` : ''}`);
    }
  }
  if (!process.argv.includes('--no-coco-eval')) {
    const script = fileURLToPath(new URL('../../../packages/detection/scripts/bench-coco-eval.ts', import.meta.url));
    const child = spawn(process.execPath, [...process.execArgv, script], { stdio: 'inherit' });
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (status !== 0) process.exitCode = status ?? 1;
  }
}

/** Runs one size's child; kills it after `timeoutSeconds`, sampling its resident memory every 2 s (Linux). */
function runChild(
  args: string[],
  timeoutSeconds: number,
): Promise<{ status: number | null; stdout: string; stderr: string; timedOut: boolean; peakRssBytes: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let peakRssBytes = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const sample = setInterval(() => {
      try {
        const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (kb) peakRssBytes = Math.max(peakRssBytes, Number(kb[1]) * 1024);
      } catch {
        // Not Linux, or the child has just exited.
      }
    }, 2000);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    child.on('close', (status) => {
      clearInterval(sample);
      clearTimeout(timer);
      resolve({ status, stdout, stderr, timedOut, peakRssBytes });
    });
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
