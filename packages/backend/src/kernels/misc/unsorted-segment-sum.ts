/**
 * UnsortedSegmentSum for the wasm backend (missing upstream, tensorflow/tfjs#8082). It is the gradient of
 * gather (tfjs-core's GatherV2 gradient scatters dy back with unsortedSegmentSum), so any model that trains
 * through tf.gather (e.g. RetinaNet picking the box predictions of positive anchors) needs it.
 *
 * Semantics are TensorFlow's (tf.math.unsorted_segment_sum): `segmentIds` has a prefix of `x`'s shape,
 *   out[s, ...] = sum over positions i of segmentIds with segmentIds[i] == s of x[i, ...],
 * output shape [numSegments, ...x.shape.slice(segmentIds.rank)], dtype of x; ids outside [0, numSegments) are
 * dropped (TF drops negative ids; the cpu backend's equality mask also drops ids >= numSegments). Accumulation is
 * in float64 and rounded once, like the cpu backend's Sum kernel.
 */
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { heapArray, type WasmBackend } from '../wasm-internals.js';

export const unsortedSegmentSumKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as WasmBackend;
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const numSegments = Number((attrs as { numSegments: number }).numSegments);
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(`unsortedSegmentSum: numSegments must be a non-negative integer, got ${numSegments}`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`unsortedSegmentSum: x must be float32 or int32, got ${x.dtype}`);
  }
  if (segmentIds.dtype !== 'int32') {
    throw new Error(`unsortedSegmentSum: segmentIds must be int32, got ${segmentIds.dtype}`);
  }
  const idsRank = segmentIds.shape.length;
  if (idsRank > x.shape.length || segmentIds.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(
      `unsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`,
    );
  }
  const innerShape = x.shape.slice(idsRank);
  const inner = util.sizeFromShape(innerShape);
  const out = wasm.makeOutput([numSegments, ...innerShape], x.dtype);
  // Views after the malloc above (it may have grown, and so detached, the heap).
  const xs = heapArray(wasm, x);
  const ids = heapArray(wasm, segmentIds) as Int32Array;
  const acc = new Float64Array(numSegments * inner);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) acc[dst + j] += xs[src + j];
  }
  // Float32Array / Int32Array stores round (float32) or wrap (int32), as the cpu backend's typed arrays do.
  heapArray(wasm, out).set(acc);
  return out;
};

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSumKernel,
};
