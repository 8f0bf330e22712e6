/**
 * Child-process script for user-gradients.test.ts (issue 19 item 3): as a user's script would, selects wasm,
 * registers its own guided-backprop Relu gradient, then loads `@tensorflow/tfjs` (under plain Node its CommonJS
 * bundles register every stock gradient, twice: tfjs-core's and tfjs' own copy), and prints one JSON line: the Relu gradient on cpu and wasm, and
 * whether this package's FusedBatchNorm / Sum overrides survived the bundle.
 * Usage: `node --conditions=@db/source --import tsx user-gradient-child.ts`
 */
const core = await import('@tensorflow/tfjs-core');
const { useFastestBackend } = await import('../../../select/use-fastest-backend.js');
const { isGradientOverridden } = await import('../gradient-override.js');
const { guidedReluGradient, reluGradOn } = await import('./guided-relu.js');
await useFastestBackend({ force: 'wasm', wasmThreads: 1, log: () => undefined });
const calls = { n: 0 };
core.registerGradient(guidedReluGradient(core, calls));
await import('@tensorflow/tfjs');
const wasm = await reluGradOn(core, 'wasm');
const cpu = await reluGradOn(core, 'cpu');
console.log(
  `RESULT ${JSON.stringify({
    wasm,
    cpu,
    calls: calls.n,
    reluOurs: isGradientOverridden('Relu'),
    batchNormOurs: isGradientOverridden('FusedBatchNorm'),
    sumOurs: isGradientOverridden('Sum'),
  })}`,
);
