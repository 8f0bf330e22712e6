/**
 * Discovery aid (tests / scripts only): registers, for every kernel tfjs-core names but the wasm backend lacks, a
 * wasm kernel that copies its inputs to the cpu backend, runs the cpu kernel there and copies the outputs back,
 * recording the kernel's name. Training a net once with this in place lists *all* its missing kernels in one run,
 * instead of one 'not registered' error at a time.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export function installCpuFallbacks(names: readonly string[]): { hits: Map<string, number>; uninstall(): void } {
  const hits = new Map<string, number>();
  const installed: string[] = [];
  for (const kernelName of names) {
    if (tf.getKernel(kernelName, 'wasm') != null || tf.getKernel(kernelName, 'cpu') == null) continue;
    const cpuKernel = tf.getKernel(kernelName, 'cpu')!;
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        hits.set(kernelName, (hits.get(kernelName) ?? 0) + 1);
        const wasm = backend as BackendWasm;
        const cpu = tf.engine().findBackend('cpu') as tf.KernelBackend;
        const cpuInputs: Record<string, tf.TensorInfo> = {};
        for (const [k, t] of Object.entries(inputs)) {
          if (t == null) continue;
          const info = t as tf.TensorInfo;
          cpuInputs[k] = { dataId: cpu.write(wasm.readSync(info.dataId) as tf.backend_util.BackendValues, info.shape, info.dtype), shape: info.shape, dtype: info.dtype };
        }
        const out = cpuKernel.kernelFunc({ inputs: cpuInputs, backend: cpu, attrs });
        const outs = Array.isArray(out) ? out : [out];
        const result = outs.map((o) => wasm.makeOutput(o.shape, o.dtype, undefined, cpu.readSync(o.dataId) as tf.backend_util.BackendValues));
        for (const t of [...Object.values(cpuInputs), ...outs]) cpu.disposeData(t.dataId);
        return Array.isArray(out) ? result : result[0];
      },
    });
    installed.push(kernelName);
  }
  return { hits, uninstall: () => installed.forEach((k) => tf.unregisterKernel(k, 'wasm')) };
}
