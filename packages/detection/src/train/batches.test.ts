import * as tf from '@tensorflow/tfjs';
import type { DetectionSample } from '@db/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateAnchors } from '../anchors/anchors.js';
import { batchesOf, CAFFE_BGR_MEAN, detectionTransform, encodeBatch, imagesToInput } from './batches.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function sample(width: number, height: number, rgb: [number, number, number], boxes: number[], labels: number[]): DetectionSample {
  const image = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) image.set(rgb, 3 * p);
  return {
    imageId: 1,
    image,
    width,
    height,
    resizedWidth: width,
    resizedHeight: height,
    scale: 1,
    flipped: false,
    boxes: new Float32Array(boxes),
    labels: new Int32Array(labels),
    iscrowd: new Uint8Array(labels.length),
    originalWidth: width,
    originalHeight: height,
  };
}

describe('imagesToInput', () => {
  it('pastes each image top-left, turns RGB into BGR minus the Caffe means, pads with zero pixels', () => {
    const x = imagesToInput([sample(128, 128, [10, 20, 30], [], []), sample(128, 128, [0, 0, 0], [], [])], 256);
    expect(x.shape).toEqual([2, 256, 256, 3]);
    const v = x.arraySync() as number[][][][];
    expect(v[0][0][0]).toEqual([30 - CAFFE_BGR_MEAN[0], 20 - CAFFE_BGR_MEAN[1], 10 - CAFFE_BGR_MEAN[2]].map((n) => expect.closeTo(n, 4)));
    expect(v[0][200][200]).toEqual(CAFFE_BGR_MEAN.map((m) => expect.closeTo(-m, 4)));
    x.dispose();
    expect(() => imagesToInput([sample(384, 128, [0, 0, 0], [], [])], 256)).toThrow(/384x128 after the transform, larger than inputSize 256/);
  });
});

describe('encodeBatch and the transform', () => {
  it('stacks per-image targets and counts positives', () => {
    const anchors = generateAnchors(128, 128);
    const t = encodeBatch([sample(128, 128, [0, 0, 0], [10, 10, 60, 70], [4]), sample(128, 128, [0, 0, 0], [], [])], anchors);
    expect(t.boxTargets.shape).toEqual([2, 3069, 4]);
    expect(t.classTargets.shape).toEqual([2, 3069]);
    const cls = t.classTargets.arraySync() as number[][];
    expect(cls[0].filter((c) => c === 4).length).toBe(t.positives);
    expect(t.positives).toBeGreaterThan(0);
    expect(cls[1].every((c) => c === -1)).toBe(true);
    tf.dispose([t.boxTargets, t.classTargets]);
  });

  it("scales keras-io's jitter range into the input size", () => {
    expect(detectionTransform(256, true)).toEqual({ minSide: 256, maxSide: 256, jitter: [160, 256], stride: 128, flip: true });
    expect(detectionTransform(256, false).flip).toBe(false);
  });

  it('groups a stream into batches, the last one shorter', async () => {
    async function* items() {
      for (let i = 0; i < 5; i++) yield i;
    }
    const out: number[][] = [];
    for await (const b of batchesOf(items(), 2)) out.push(b);
    expect(out).toEqual([[0, 1], [2, 3], [4]]);
  });
});
