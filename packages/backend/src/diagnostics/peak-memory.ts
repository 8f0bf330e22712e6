/**
 * Diagnostics: the peak bytes of tensor data a backend held at once while a function ran. Counts data
 * buffers, not tensor objects: tf.memory().numBytes and tf.profile's peakBytes add a tensor's size once per tensor
 * object, so the saved clones of the tape (which share their source's buffer) count twice there. Works on any
 * backend whose `write` makes every new buffer and whose `disposeData` frees one (cpu, wasm).
 */
import * as tf from '@tensorflow/tfjs-core';

interface Tracked {
  write(values: unknown, shape: number[], dtype: tf.DataType): object;
  disposeData(dataId: object, force?: boolean): boolean;
  numDataIds(): number;
}

/** Runs `f` and returns its result with the peak of live buffer bytes above what was live before it. */
export async function peakBufferBytes<T>(f: () => T | Promise<T>): Promise<{ result: T; peakBytes: number }> {
  const backend = tf.backend() as unknown as Tracked;
  const write = backend.write;
  const disposeData = backend.disposeData;
  const sizes = new Map<object, number>();
  let live = 0;
  let peak = 0;
  backend.write = function (this: Tracked, values, shape, dtype) {
    const dataId = write.call(this, values, shape, dtype);
    const bytes = tf.util.sizeFromShape(shape) * (dtype === 'float32' || dtype === 'int32' ? 4 : dtype === 'bool' ? 1 : 8);
    sizes.set(dataId, bytes);
    live += bytes;
    peak = Math.max(peak, live);
    return dataId;
  };
  backend.disposeData = function (this: Tracked, dataId, force) {
    const before = this.numDataIds();
    const freed = disposeData.call(this, dataId, force);
    if (this.numDataIds() < before && sizes.has(dataId)) {
      live -= sizes.get(dataId)!;
      sizes.delete(dataId);
    }
    return freed;
  };
  try {
    const result = await f();
    return { result, peakBytes: peak };
  } finally {
    backend.write = write;
    backend.disposeData = disposeData;
  }
}
