/** Registers the non-convolution training kernels the wasm backend lacks (segment sums, DivNoNan, SelectV2, ...). */
export function registerMiscKernels(): void {
  // Filled in by the misc kernels work.
}
