/**
 * Conv2DBackpropFilter on our own wasm SIMD kernel (../simd/simd_kernels.wat), for any NHWC float32 convolution.
 *
 * dw[kh, kw, ci, co] = sum_{n, r, c} x[n, r*sh + kh*dh - top, c*sw + kw*dw - left, ci] * dy[n, r, c, co].
 * x is copied onto a zero-padded grid of N blocks of Hg x Wg cells, x[n, i, j] in cell (n*Hg + i + top)*Wg + j +
 * left, so that for dy row q = (n, r) and tap t = (kh, kw) the x cells read are consecutive, `sw` cells apart:
 *   rowBase[q] + off[t] + c*sw,  rowBase[q] = (n*Hg + r*sh)*Wg,  off[t] = kh*dh*Wg + kw*dw,
 * and where the true pixel is outside the image the cell read is a zero cell (a read past a row's end lands in the
 * next row's left padding, past a block's end in the next block's top padding: {@link gridOf} sizes Wg and Hg for
 * that). The kernel keeps a 4 (input channels) x 8 (output channels) block of dw in registers while it streams over
 * the dy rows, so every multiply-add it does is one the forward convolution also does: no padding cell is visited
 * for dy, nothing is transposed, nothing is packed.
 *
 * Why not XNNPACK: its GEMMs reach the forward convolution's speed, but they pack their "weights" operand whenever
 * it is a new tensor, at 2.6-13 ns per value here, and both operands of a weight gradient are activation-sized (the
 * routes through XNNPACK measured 1.8-3.6x the forward convolution's time on CustomNet's layers; this kernel runs
 * at ~45 GFLOP/s per thread, XNNPACK's forward convolution at ~35).
 *
 * Shapes that need more than that (each choice measured on CustomNet's and ResNet-50's layers):
 * - taps that read only padding (8 of a 3x3 'same' conv's 9 on a 1x1 map) are skipped: their dw is 0;
 * - deep layers (256+ channels on small maps) copy x and dy into channel-blocked layouts first (blockChannels);
 * - an unstrided 1x1 conv walks dy in merged rows of up to 256 pixels (a 1x1 map has rows of one pixel);
 * - a strided 1x1 conv gathers the pixels it reads (blocked) and is then an unstrided one;
 * - channel counts that are not multiples of 4 (inputs) or 8 (outputs) are padded with zero channels on copies.
 */
import type { TensorInfo, backend_util } from '@tensorflow/tfjs-core';
import { byteOffset } from '../wasm-internals.js';
import { allocate, heapIndex, heapView, release, type WasmBackend } from './wasm_backend.js';
import { simdKernels, type FilterGradArgs, type SimdKernels } from '../simd/simd-kernel.js';

/** Cells per grid row (Wg) and image rows per block (Hg); `cells`: the grid's length, the last cell read included. */
interface Grid {
  wg: number;
  hg: number;
  cells: number;
}

/**
 * Wg must hold x with its left padding (left + W), and a read past a row's end must land left of the next row's
 * pixels: the furthest column read is (Wo-1)*sw + (KW-1)*dw, and it wraps to that minus Wg, which must be < left.
 * Likewise for Hg with the rows.
 */
export function gridOf(info: backend_util.Conv2DInfo, n: number): Grid {
  const { top, left } = info.padInfo;
  const lastCol = (info.outWidth - 1) * info.strideWidth + (info.filterWidth - 1) * info.dilationWidth;
  const lastRow = (info.outHeight - 1) * info.strideHeight + (info.filterHeight - 1) * info.dilationHeight;
  const wg = Math.max(left + info.inWidth, lastCol - left + 1);
  const hg = Math.max(top + info.inHeight, lastRow - top + 1);
  return { wg, hg, cells: Math.max(n * hg * wg, ((n - 1) * hg + lastRow) * wg + lastCol + 1) };
}

/** Input channels per kernel block and output channels per kernel block. */
const CI_BLOCK = 4;
const CO_BLOCK = 8;
/**
 * dy rows per pass over all of dw's blocks: about CHUNK_BYTES of x and dy, so they stay in cache, but at least
 * MIN_CHUNK_PIXELS pixels, so loading and storing a block's accumulators stays a small part of its work.
 */
const CHUNK_BYTES = 32 * 1024;
const MIN_CHUNK_PIXELS = 64;

const roundUp = (v: number, m: number) => Math.ceil(v / m) * m;

/**
 * Whether to copy x and dy into channel-blocked layouts ([Ci/4][cells][4], [Co/8][pixels][8]) first. In NHWC a
 * 4x8 block's values are Ci and Co floats apart, so each pixel touches a new cache line of each, and with channel
 * counts of 256 and more (strides of 1 KB and up, multiples of 4 KB) they fall into the same L1 sets and evict each
 * other before the next block reuses them. The copy costs about a pass over x and dy, so it pays off only when
 * there are many multiply-adds per value: deep layers with many channels on small maps.
 */
function blockChannels(ci4: number, co8: number, taps: number): boolean {
  if (blocking !== 'auto') return blocking === 'always';
  // Measured on ResNet-50's layers (batch 64, 32x32 input): blocking won from 256 channels and ~200 multiply-adds
  // per value copied, and lost on CustomNet's 32-128 channel layers.
  return Math.max(ci4, co8) >= 256 && (ci4 * co8 * taps) / (ci4 + co8) >= 150;
}

let blocking: 'auto' | 'always' | 'never' = 'auto';

/** Internal (tests and before/after tables): force the channel-blocked layouts on or off. */
export function setChannelBlocking(mode: 'auto' | 'always' | 'never'): void {
  blocking = mode;
}

/** Pixels per merged row, at most this many (a few chunks' worth). */
const MERGED_ROW_PIXELS = 256;

/** The largest k dividing `rows` with k * wo <= MERGED_ROW_PIXELS (at least 1). */
function mergedRows(rows: number, wo: number): number {
  for (let k = Math.max(1, Math.floor(MERGED_ROW_PIXELS / wo)); k > 1; k--) if (rows % k === 0) return k;
  return 1;
}

/**
 * Copies one pixel's c values from heap[from...] into groups of `block` channels: value k goes to
 * dst + (k - k % block) * plane + block * cell + k % block. With block the padded channel count that is a padded NHWC
 * pixel (plane unused); with block 4 or 8 and plane the number of cells, the channel-blocked layouts. For channel
 * counts the wasm copy (blockChannels) cannot take: not a whole number of groups.
 */
function copyPixel(heap: Float32Array, from: number, c: number, dst: number, cell: number, block: number, plane: number): void {
  for (let k = 0; k < c; k++) {
    const r = k % block;
    heap[dst + (k - r) * plane + block * cell + r] = heap[from + k];
  }
}

/** The taps [row, column] that read at least one pixel of the image (not only padding). */
function liveTaps(info: backend_util.Conv2DInfo): [number, number][] {
  const { top, left } = info.padInfo;
  // Some output position o in [0, out) reads o*s + k*d - pad inside [0, size).
  const reads = (k: number, d: number, s: number, pad: number, out: number, size: number) => {
    for (let o = 0; o < out; o++) {
      const i = o * s + k * d - pad;
      if (i >= 0 && i < size) return true;
    }
    return false;
  };
  const rows: number[] = [];
  const cols: number[] = [];
  for (let r = 0; r < info.filterHeight; r++) {
    if (reads(r, info.dilationHeight, info.strideHeight, top, info.outHeight, info.inHeight)) rows.push(r);
  }
  for (let c = 0; c < info.filterWidth; c++) {
    if (reads(c, info.dilationWidth, info.strideWidth, left, info.outWidth, info.inWidth)) cols.push(c);
  }
  return rows.flatMap((r) => cols.map((c): [number, number] => [r, c]));
}

/** dw [KH, KW, Ci, Co], or null when the SIMD kernel cannot run on this backend (the caller then takes XNNPACK's route). */
export function simdWeightGrad(backend: WasmBackend, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo | null {
  const kernel = simdKernels(backend);
  if (kernel == null) return null;
  const { top, left } = info.padInfo;
  const sampled1x1 =
    info.filterHeight === 1 &&
    info.filterWidth === 1 &&
    (info.strideHeight > 1 || info.strideWidth > 1) &&
    top === 0 &&
    left === 0 &&
    (info.outHeight - 1) * info.strideHeight < info.inHeight &&
    (info.outWidth - 1) * info.strideWidth < info.inWidth;
  if (sampled1x1) {
    // A strided 1x1 conv (ResNet's projection shortcuts) reads x only at (r*sh, c*sw): gather those pixels (a
    // quarter of x at stride 2) and it is an unstrided 1x1 conv, whose dy rows the kernel can merge. (Bottom or
    // right padding that adds positions reading only zeros goes the general way.)
    const sampled = sampledPixels(backend, kernel, x, info);
    const one = { ...info, strideHeight: 1, strideWidth: 1, inHeight: info.outHeight, inWidth: info.outWidth };
    const dw = weightGrad(backend, kernel, sampled, dy, one, true);
    release(backend, sampled);
    return dw;
  }
  return weightGrad(backend, kernel, x, dy, info, false);
}

/**
 * x [N, H, W, C] at rows r*sh and columns c*sw (r < Ho, c < Wo), written straight into the channel-blocked layout
 * [ceil(C/4)][N*Ho*Wo][4] (zero channels up to a multiple of 4): the gather is a copy anyway, so the kernel gets
 * the layout that keeps a block's values contiguous for free.
 */
function sampledPixels(backend: WasmBackend, kernel: SimdKernels, x: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const [n, h, w, c] = x.shape;
  const { outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
  const c4 = roundUp(c, CI_BLOCK);
  const pixels = n * ho * wo;
  const out = allocate(backend, [c4 / 4, pixels, 4]);
  if (c4 === c) {
    // One image at a time: its rows r*sh are srcRow apart, its pixels c*sw srcPixel apart.
    const [x0, out0] = [byteOffset(backend, x), byteOffset(backend, out)];
    for (let b = 0; b < n; b++) {
      kernel.blockChannels(
        x0 + b * h * w * c * 4,
        out0 + b * ho * wo * 16,
        ho,
        wo,
        sh * w * c * 4,
        sw * c * 4,
        wo,
        c4 / 4,
        16,
        pixels * 16,
      );
    }
    return out;
  }
  heapView(backend, out).fill(0);
  const heap = backend.wasm.HEAPF32;
  const src = heapIndex(backend, x);
  const dst = heapIndex(backend, out);
  let p = 0;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < ho; r++) {
      for (let col = 0; col < wo; col++, p++) copyPixel(heap, src + ((b * h + r * sh) * w + col * sw) * c, c, dst, p, CI_BLOCK, pixels);
    }
  }
  return out;
}

/** `xBlocked`: x is already its own grid in the channel-blocked layout (sampledPixels). */
function weightGrad(
  backend: WasmBackend,
  kernel: SimdKernels,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
  xBlocked: boolean,
): TensorInfo {
  const [n, ho, wo, co] = dy.shape;
  const [h, w, ci] = xBlocked ? [info.inHeight, info.inWidth, info.inChannels] : x.shape.slice(1);
  const kh = info.filterHeight;
  const kw = info.filterWidth;
  const { top, left } = info.padInfo;
  // Taps that read the image somewhere; the others (a 3x3 'same' conv on a 1x1 map has 8) have dw = 0.
  const live = liveTaps(info);
  const taps = live.length;
  if (taps === 0 || n * ho * wo === 0) {
    const zeros = allocate(backend, [kh, kw, ci, co]);
    heapView(backend, zeros).fill(0);
    return zeros;
  }
  const ci4 = roundUp(ci, CI_BLOCK);
  const co8 = roundUp(co, CO_BLOCK);
  const grid = gridOf(info, n);
  // The kernel writes [taps, Ci4, Co8]; that is dw itself unless taps were skipped or channels padded.
  const scatter = ci4 !== ci || co8 !== co || taps < kh * kw;
  const pixels = n * ho * wo;
  const blocked = blockChannels(ci4, co8, taps);
  const blockX = blocked || xBlocked;
  // x is its own grid when nothing pads it ('valid' padding, channels a multiple of 4), or when it came blocked.
  const xInPlace = xBlocked || (!blocked && ci4 === ci && grid.wg === w && grid.hg === h && top === 0 && left === 0 && grid.cells <= n * h * w);
  const dyInPlace = !blocked && co8 === co;

  // Allocate everything first: a malloc may grow the heap, and heap views taken before it go stale.
  const xg = xInPlace ? x : allocate(backend, [grid.cells, ci4]);
  const dyp = dyInPlace ? dy : allocate(backend, [pixels, co8]);
  const tables = allocate(backend, [taps + n * ho]);
  const dw = allocate(backend, [kh, kw, ci, co]);
  const out = scatter ? allocate(backend, [taps, ci4, co8]) : dw;
  const heap = backend.wasm.HEAPF32;

  if (!xInPlace) {
    heapView(backend, xg).fill(0);
    const src = heapIndex(backend, x);
    const dst = heapIndex(backend, xg);
    for (let b = 0; b < n; b++) {
      const cell0 = (b * grid.hg + top) * grid.wg + left;
      if (blocked && ci4 === ci) {
        // [Ci/4][cells][4] in wasm, the whole image at once: its rows go Wg cells apart.
        const image = byteOffset(backend, x) + b * h * w * ci * 4;
        kernel.blockChannels(image, byteOffset(backend, xg) + cell0 * 16, h, w, w * ci * 4, ci * 4, grid.wg, ci4 / 4, 16, grid.cells * 16);
        continue;
      }
      for (let i = 0; i < h; i++) {
        const from = src + (b * h + i) * w * ci;
        const cell = cell0 + i * grid.wg;
        if (!blocked && ci4 === ci) heap.copyWithin(dst + cell * ci4, from, from + w * ci);
        else for (let j = 0; j < w; j++) copyPixel(heap, from + j * ci, ci, dst, cell + j, blocked ? CI_BLOCK : ci4, grid.cells);
      }
    }
  }
  if (dyp !== dy) {
    if (blocked && co8 === co) {
      // [Co/8][pixels][8] in wasm.
      kernel.blockChannels(byteOffset(backend, dy), byteOffset(backend, dyp), 1, pixels, 0, co * 4, 0, co8 / 8, 32, pixels * 32);
    } else {
      heapView(backend, dyp).fill(0);
      const src = heapIndex(backend, dy);
      const dst = heapIndex(backend, dyp);
      for (let p = 0; p < pixels; p++) copyPixel(heap, src + p * co, co, dst, p, blocked ? CO_BLOCK : co8, pixels);
    }
  }
  // The kernel walks dy row by row. When dy's rows are also consecutive in x's grid (an unstrided, unpadded 1x1 conv:
  // ResNet's bottlenecks), k rows at a time are one row of k*Wo pixels: on 1x1 and 2x2 maps a row of one or two
  // pixels would spend more on setting it up than on its multiply-adds.
  const merge = info.strideHeight === 1 && info.strideWidth === 1 && grid.wg === wo && grid.hg === ho ? mergedRows(n * ho, wo) : 1;
  const rows = (n * ho) / merge;
  const rowPixels = wo * merge;
  // Offsets in bytes: of each tap's first x cell, and of each dy row's first x cell.
  const xCell = blockX ? 16 : ci4 * 4;
  const table = new Int32Array(heap.buffer, byteOffset(backend, tables), taps + rows);
  live.forEach(([r, c], t) => (table[t] = (r * info.dilationHeight * grid.wg + c * info.dilationWidth) * xCell));
  if (merge > 1) {
    for (let q = 0; q < rows; q++) table[taps + q] = q * rowPixels * xCell;
  } else {
    for (let b = 0; b < n; b++) {
      for (let r = 0; r < ho; r++) table[taps + b * ho + r] = (b * grid.hg + r * info.strideHeight) * grid.wg * xCell;
    }
  }
  const o0 = heapIndex(backend, out);
  heapView(backend, out).fill(0);

  const chunkRows = Math.max(1, Math.ceil(MIN_CHUNK_PIXELS / rowPixels), Math.floor(CHUNK_BYTES / (rowPixels * ((blockX ? 4 : ci4) * info.strideWidth + (blocked ? 8 : co8)) * 4)));
  const args: FilterGradArgs = [
    byteOffset(backend, xg),
    byteOffset(backend, dyp),
    byteOffset(backend, out),
    byteOffset(backend, tables),
    byteOffset(backend, tables) + 4 * taps,
    ci4,
    co8,
    rowPixels,
    rows,
    chunkRows,
    0,
    0,
    info.strideWidth * xCell,
    blockX ? 16 * grid.cells : 16,
    blocked ? 32 : co8 * 4,
    blocked ? 32 * pixels : 32,
  ];
  kernel.filterGrad(args, (taps * ci4) / CI_BLOCK);

  if (scatter) {
    const dst = heapIndex(backend, dw);
    if (taps < kh * kw) heapView(backend, dw).fill(0);
    live.forEach(([r, c], t) => {
      const tap = r * kw + c;
      for (let i = 0; i < ci; i++) {
        const from = o0 + (t * ci4 + i) * co8;
        heap.copyWithin(dst + (tap * ci + i) * co, from, from + co);
      }
    });
    release(backend, out);
  }
  release(backend, tables);
  if (dyp !== dy) release(backend, dyp);
  if (xg !== x) release(backend, xg);
  return dw;
}
