/** Registers the convolution training kernels (weight and input gradients) on the wasm backend. */
export function registerConvKernels(): void {
  // Filled in by the conv kernels work.
}
