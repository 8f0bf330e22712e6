import * as tf from '@tensorflow/tfjs-core';
import type { DetectionSample, DetectionTransformOptions } from '@db/datasets';
import { encodeLabels, type MatchThresholds } from '../encode/encode.js';

/** Caffe-style ImageNet means in BGR order, what Keras' `resnet.preprocess_input` subtracts (keras-io uses it). */
export const CAFFE_BGR_MEAN: readonly [number, number, number] = [103.939, 116.779, 123.68];

/**
 * The COCO transform of a square input of `inputSize` px (a multiple of 128): the image's longer side is at most
 * `inputSize` and the result is padded right / bottom to a multiple of 128, then to the full square. Training
 * scales the jitter range of keras-io (shorter side in [640, 1024] for a 1333 cap) into [0.625, 1] x inputSize and
 * flips; evaluation uses the shorter side `inputSize` and no flip (the longer-side cap applies in both).
 */
export function detectionTransform(inputSize: number, training: boolean): DetectionTransformOptions {
  return training
    ? { minSide: inputSize, maxSide: inputSize, jitter: [Math.round(0.625 * inputSize), inputSize], stride: 128, flip: true }
    : { minSide: inputSize, maxSide: inputSize, jitter: null, stride: 128, flip: false };
}

/**
 * Model input of a batch: each padded image pasted at the top left of an `inputSize` square, RGB turned to BGR and
 * the Caffe means subtracted (Keras `preprocess_input(mode='caffe')`); padding is zero pixels before the
 * subtraction, as in keras-io.
 */
export function imagesToInput(samples: readonly DetectionSample[], inputSize: number): tf.Tensor4D {
  const plane = inputSize * inputSize * 3;
  const data = new Float32Array(samples.length * plane);
  samples.forEach((s, b) => {
    if (s.height > inputSize || s.width > inputSize) {
      throw new RangeError(`image ${s.imageId} is ${s.width}x${s.height} after the transform, larger than inputSize ${inputSize}`);
    }
    const base = b * plane;
    for (let p = 0; p < inputSize * inputSize; p++) {
      data[base + 3 * p] = -CAFFE_BGR_MEAN[0];
      data[base + 3 * p + 1] = -CAFFE_BGR_MEAN[1];
      data[base + 3 * p + 2] = -CAFFE_BGR_MEAN[2];
    }
    for (let y = 0; y < s.height; y++) {
      for (let x = 0; x < s.width; x++) {
        const src = 3 * (y * s.width + x);
        const dst = base + 3 * (y * inputSize + x);
        data[dst] = s.image[src + 2] - CAFFE_BGR_MEAN[0];
        data[dst + 1] = s.image[src + 1] - CAFFE_BGR_MEAN[1];
        data[dst + 2] = s.image[src] - CAFFE_BGR_MEAN[2];
      }
    }
  });
  return tf.tensor4d(data, [samples.length, inputSize, inputSize, 3]);
}

/** Targets of a batch: `[batch, anchors, 4]` box targets, `[batch, anchors]` class targets, and the positives. */
export interface BatchTargets {
  boxTargets: tf.Tensor3D;
  classTargets: tf.Tensor2D;
  positives: number;
}

/** Encodes the boxes of every sample of a batch against `anchors` (see {@link encodeLabels}, whose `matching` options it passes on). */
export function encodeBatch(samples: readonly DetectionSample[], anchors: Float32Array, matching: MatchThresholds = {}): BatchTargets {
  const n = anchors.length / 4;
  const boxes = new Float32Array(samples.length * n * 4);
  const classes = new Float32Array(samples.length * n);
  let positives = 0;
  samples.forEach((s, b) => {
    const enc = encodeLabels(anchors, s.boxes, s.labels, s.iscrowd, matching);
    boxes.set(enc.boxTargets, b * n * 4);
    classes.set(enc.classTargets, b * n);
    positives += enc.positives;
  });
  return {
    boxTargets: tf.tensor3d(boxes, [samples.length, n, 4]),
    classTargets: tf.tensor2d(classes, [samples.length, n]),
    positives,
  };
}

/** Groups an async stream of samples into arrays of `size` (the last may be shorter). */
export async function* batchesOf<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[], void, undefined> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
