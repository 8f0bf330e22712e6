import * as tf from '@tensorflow/tfjs-core';
import { useFastestBackend, setSimdKernelsEnabled } from '../src/index.js';
await useFastestBackend({ wasmThreads: 2, log: () => undefined } as never);
for (const xs of [[64,32,32,32],[64,16,16,64],[64,8,8,128]]) {
  const x = tf.randomNormal(xs as any); const y = tf.maxPool(x as any, 2, 2, 'valid'); const dy = tf.randomNormal(y.shape);
  const run = () => tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: 2, strides: 2, pad: 'valid' } as any) as tf.Tensor;
  setSimdKernelsEnabled(false); const ref = run().dataSync(); setSimdKernelsEnabled(true); const got = run().dataSync();
  let same = ref.every((v, i) => v === got[i]);
  const T: Record<string, number[]> = { js: [], simd: [], fwd: [] };
  for (let i = 0; i < 15; i++) {
    let s = performance.now(); tf.maxPool(x as any, 2, 2, 'valid').dispose(); T.fwd.push(performance.now() - s);
    setSimdKernelsEnabled(false); s = performance.now(); run().dispose(); T.js.push(performance.now() - s); setSimdKernelsEnabled(true);
    s = performance.now(); run().dispose(); T.simd.push(performance.now() - s);
  }
  const f = (a: number[]) => a.sort((p, q) => p - q)[7].toFixed(2);
  console.log(JSON.stringify(xs), `maxPool fwd ${f(T.fwd)} ms, MaxPoolGrad js ${f(T.js)} ms, simd ${f(T.simd)} ms, identical ${same}`);
}
