/**
 * Registers the convolution training kernels on the wasm backend: the weight and input gradients of conv2d and of
 * depthwiseConv2d (and max pooling's gradient, the other windowed op of a conv net), each computed by the backend's own XNNPACK forward kernels (see the files beside this one for the
 * algebra). Kernels the backend already had (Conv2DBackpropInput) are replaced; the original stays as the fallback
 * for what XNNPACK cannot take (NCHW).
 */
import '@tensorflow/tfjs-backend-wasm';
import { getKernel, registerKernel, unregisterKernel, type KernelFunc } from '@tensorflow/tfjs-core';
import { makeConv2DBackpropFilter } from './conv2d_backprop_filter.js';
import { makeConv2DBackpropInput } from './conv2d_backprop_input.js';
import { depthwiseConv2dNativeBackpropFilter } from './depthwise_backprop_filter.js';
import { depthwiseConv2dNativeBackpropInput } from './depthwise_backprop_input.js';
import { makeMaxPoolGrad } from './max_pool_grad.js';

/** Kernel names this module registers for the wasm backend. */
export const CONV_KERNEL_NAMES = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'MaxPoolGrad',
] as const;

/** Our kernel functions, so a second call (or another copy of this module) can tell they are already in place. */
const ours = new WeakSet<KernelFunc>();

function install(kernelName: string, make: (original: KernelFunc | null) => KernelFunc): void {
  const existing = getKernel(kernelName, 'wasm');
  if (existing != null && ours.has(existing.kernelFunc)) return;
  const kernelFunc = make(existing?.kernelFunc ?? null);
  ours.add(kernelFunc);
  if (existing != null) unregisterKernel(kernelName, 'wasm');
  // Keep the original's setupFunc: it binds the C function the fallback calls, and runs only when the backend
  // initialises (possibly after this registration).
  registerKernel({ ...existing, kernelName, backendName: 'wasm', kernelFunc });
}

/** Registers the convolution training kernels (weight and input gradients) on the wasm backend. */
export function registerConvKernels(): void {
  install('Conv2DBackpropFilter', (original) => makeConv2DBackpropFilter(original));
  install('Conv2DBackpropInput', (original) => makeConv2DBackpropInput(original));
  install('DepthwiseConv2dNativeBackpropFilter', () => depthwiseConv2dNativeBackpropFilter);
  install('DepthwiseConv2dNativeBackpropInput', () => depthwiseConv2dNativeBackpropInput);
  install('MaxPoolGrad', (original) => makeMaxPoolGrad(original));
}
