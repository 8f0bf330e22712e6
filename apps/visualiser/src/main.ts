/**
 * The DropBlock visualiser: runs `dropBlock2d` on the best backend this browser has (webgl, else wasm, else cpu),
 * draws the mask and the masked image, and compares the measured drop fraction over many masks with the exact
 * expectation from `@db/core`.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { computeGamma, expectedDropFraction } from '@db/core';
import { dropBlock2d } from '@db/tfjs-layer';
import { SIDE, parseRecords, type LabelledImage } from './images.js';

/** Masks drawn for the measured fraction: 64 maps of 32 x 32 = 65,536 units. */
export const SAMPLES = 64;

/** What the page shows, also read by its browser test through `window.dropBlockVisualiser`. */
interface State {
  ready: boolean;
  backend: string;
  blockSize: number;
  keepProb: number;
  gamma: number;
  expected: number;
  measured: number;
  thisMask: number;
  draws: number;
  error?: string;
}

const state: State = { ready: false, backend: '', blockSize: 5, keepProb: 0.9, gamma: 0, expected: 0, measured: 0, thisMask: 0, draws: 0 };
(globalThis as unknown as { dropBlockVisualiser: State }).dropBlockVisualiser = state;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** webgl first (the GPU), then wasm (its binaries sit beside the page), then the plain JS cpu backend. */
async function pickBackend(): Promise<string> {
  setWasmPaths(new URL('./', location.href).href);
  for (const name of ['webgl', 'wasm', 'cpu']) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        // A backend can register yet fail at its first kernel (no WebGL context, say): try one op.
        tf.tidy(() => tf.ones([2, 2]).add(1).dataSync());
        return name;
      }
    } catch {
      // Try the next one.
    }
  }
  throw new Error('no TF.js backend could start in this browser');
}

/** Draws a [32, 32, 3] or [32, 32, 1] array of values in [0, 1] onto a canvas, scaled up without smoothing. */
function draw(canvas: HTMLCanvasElement, values: Float32Array | Uint8Array | Int32Array, channels: number): void {
  const small = document.createElement('canvas');
  small.width = SIDE;
  small.height = SIDE;
  const sctx = small.getContext('2d')!;
  const img = sctx.createImageData(SIDE, SIDE);
  for (let p = 0; p < SIDE * SIDE; p++) {
    for (let c = 0; c < 3; c++) {
      const v = values[p * channels + (channels === 1 ? 0 : c)];
      img.data[p * 4 + c] = Math.max(0, Math.min(255, Math.round(v * 255)));
    }
    img.data[p * 4 + 3] = 255;
  }
  sctx.putImageData(img, 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}

let images: LabelledImage[] = [];
let seed = 1;

/** Samples one mask for the picture and SAMPLES masks for the measured rate, then redraws everything. */
async function update(): Promise<void> {
  const blockSize = Number($<HTMLInputElement>('blockSize').value);
  const keepProb = Number($<HTMLInputElement>('keepProb').value);
  const image = images[Number($<HTMLSelectElement>('image').value)];
  $('blockSizeOut').textContent = String(blockSize);
  $('keepProbOut').textContent = keepProb.toFixed(2);
  const params = { keepProb, blockSize, height: SIDE, width: SIDE };
  const gamma = computeGamma(params);
  const expected = expectedDropFraction(params);
  const step = seed++;
  const [scaled, masked, measured] = tf.tidy(() => {
    // The mask of the picture: the op on a map of ones gives 0 where dropped and the rescale where kept.
    const ones = tf.ones([1, SIDE, SIDE, 1]) as tf.Tensor4D;
    const y = dropBlock2d(ones, { keepProb, blockSize, seed: step });
    const picture = tf.tensor4d(image.rgb, [1, SIDE, SIDE, 3]);
    const many = dropBlock2d(tf.ones([SAMPLES, SIDE, SIDE, 1]) as tf.Tensor4D, { keepProb, blockSize, seed: 1_000_003 * step });
    return [y, picture.mul(y), many.equal(0).mean()];
  });
  const [maskValues, maskedValues, measuredValue] = await Promise.all([scaled.data(), masked.data(), measured.data()]);
  tf.dispose([scaled, masked, measured]);
  const binary = new Float32Array(maskValues.length);
  let zeros = 0;
  for (let i = 0; i < binary.length; i++) {
    binary[i] = maskValues[i] > 0 ? 1 : 0;
    if (maskValues[i] === 0) zeros++;
  }
  draw($('original'), image.rgb, 3);
  draw($('mask'), binary, 1);
  draw($('masked'), maskedValues as Float32Array, 3);
  Object.assign(state, { blockSize, keepProb, gamma, expected, measured: measuredValue[0], thisMask: zeros / binary.length });
  state.draws++;
  $('gamma').textContent = gamma.toFixed(5);
  $('expected').textContent = expected.toFixed(4);
  $('measured').textContent = measuredValue[0].toFixed(4);
  $('thisMask').textContent = (zeros / binary.length).toFixed(4);
}

async function main(): Promise<void> {
  try {
    const bytes = new Uint8Array(await (await fetch('cifar10-test-8.bin')).arrayBuffer());
    images = parseRecords(bytes);
    const select = $<HTMLSelectElement>('image');
    images.forEach((img, i) => select.add(new Option(`#${i}: ${img.label}`, String(i))));
    state.backend = await pickBackend();
    $('backend').textContent = state.backend;
    $('samples').textContent = String(SAMPLES);
    // Serialise redraws: a slider dragged quickly fires many input events.
    let pending = Promise.resolve();
    const schedule = () => (pending = pending.then(update));
    for (const id of ['blockSize', 'keepProb', 'image']) $(id).addEventListener('input', schedule);
    $('resample').addEventListener('click', schedule);
    await schedule();
    state.ready = true;
  } catch (e) {
    state.error = (e as Error).message;
    $('backend').textContent = `error: ${state.error}`;
  }
}

void main();
