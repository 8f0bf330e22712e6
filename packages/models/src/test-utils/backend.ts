import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '@db/backend';

/**
 * Switches tfjs to the wasm backend with @db/backend's training kernels. The pure-JS cpu backend needs tens of seconds
 * per conv weight gradient, so training tests of the report's conv nets run on wasm.
 */
export async function useWasmTraining(): Promise<void> {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
  if (tf.getBackend() !== 'wasm') throw new Error(`wasm backend unavailable, got ${tf.getBackend()}`);
}

/** True once @db/backend registers the conv weight gradient for wasm. */
export function wasmCanTrainConvs(): boolean {
  registerWasmTrainingKernels();
  return tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined;
}
