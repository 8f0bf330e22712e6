/**
 * Training throughput with `@tensorflow/tfjs` imported before or after `useFastestBackend()` (issue 8, item 8):
 * CustomNet, model.fit on 1,024 random 32x32x3 images, batch 64, Adam, default wasm threads.
 * Usage: `node --conditions=@db/source --import tsx import-order-bench.ts before|after [epochs=2]`; prints img/s of
 * each epoch (the first includes warm-up). Run the two orders one after the other on an otherwise idle machine.
 */
const order = process.argv[2];
const epochs = Number(process.argv[3] ?? '2');
if (order !== 'before' && order !== 'after') throw new TypeError(`order must be 'before' or 'after', got '${order}'`);
if (order === 'before') await import('@tensorflow/tfjs');
const { useFastestBackend } = await import('../../../select/use-fastest-backend.js');
const choice = await useFastestBackend({ log: () => undefined });
const tf = await import('@tensorflow/tfjs');

const input = tf.input({ shape: [32, 32, 3] });
let x: import('@tensorflow/tfjs').SymbolicTensor = input;
for (const filters of [32, 64, 128]) {
  for (let i = 0; i < 2; i++) {
    x = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x) as typeof x;
    x = tf.layers.batchNormalization({ axis: 3 }).apply(x) as typeof x;
  }
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as typeof x;
}
x = tf.layers.flatten().apply(x) as typeof x;
const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 10, activation: 'softmax' }).apply(x) as typeof x });
model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
const images = tf.randomUniform([1024, 32, 32, 3], 0, 1, 'float32', 1);
const labels = tf.oneHot(tf.randomUniform([1024], 0, 10, 'int32', 2), 10);
const times: number[] = [];
let t0 = 0;
const c0 = process.cpuUsage();
const w0 = performance.now();
await model.fit(images, labels, {
  epochs,
  batchSize: 64,
  verbose: 0,
  callbacks: { onEpochBegin: async () => void (t0 = performance.now()), onEpochEnd: async () => void times.push(performance.now() - t0) },
});
const cpu = process.cpuUsage(c0);
const cores = (cpu.user + cpu.system) / 1000 / (performance.now() - w0);
console.log(
  `order=${order} backend=${choice.backendName} threads=${(tf.backend() as unknown as { wasm?: { PThread?: unknown } }).wasm?.PThread ? 'pool' : 1}` +
    ` img/s per epoch: ${times.map((t) => ((1024 * 1000) / t).toFixed(1)).join(', ')}; process CPU ${cores.toFixed(2)} cores per wall second`,
);
