#!/usr/bin/env bash
# One command for a person with an NVIDIA GPU: installs the workspace (npm only: the `webgpu` package ships Dawn's
# prebuilt dawn.node, nothing is downloaded at install time), checks the Vulkan loader and the NVIDIA Vulkan ICD,
# probes the WebGPU adapter, and prints conv and CustomNet training throughput on webgpu vs wasm as a table.
#
#   scripts/gpu-check.sh                     # from the repository root
#   scripts/gpu-check.sh --allow-software    # measure a software Vulkan driver too (after scripts/setup-vulkan.sh)
#
# Extra arguments go to apps/bench/src/gpu-check.ts (--steps N, --batch N).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v node >/dev/null || { echo "gpu-check: needs Node >= 20.19" >&2; exit 1; }
command -v pnpm >/dev/null || npm install -g pnpm@10
echo "== install (pnpm install --frozen-lockfile)"
pnpm install --frozen-lockfile >/dev/null

echo "== GPU and Vulkan"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | sed 's/^/nvidia-smi: /'
else
  echo "nvidia-smi: not found (no NVIDIA driver?)"
fi
loaders="$(ldconfig -p 2>/dev/null || true)"
if grep -q 'libvulkan.so.1 ' <<<"$loaders" || [ -n "${LD_LIBRARY_PATH:-}" ]; then
  echo "Vulkan loader: $(grep -m1 'libvulkan.so.1 ' <<<"$loaders" | sed 's/.*=> //' || echo "via LD_LIBRARY_PATH")"
else
  echo "Vulkan loader: libvulkan.so.1 NOT found (Debian/Ubuntu: apt-get install libvulkan1)"
fi
icds="$(ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json 2>/dev/null || true)"
echo "NVIDIA Vulkan ICD: ${icds:-not found in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d}${VK_ICD_FILENAMES:+ (VK_ICD_FILENAMES=$VK_ICD_FILENAMES)}"

echo "== adapter probe and throughput (webgpu vs wasm, same run)"
exec pnpm exec tsx --conditions=@db/source apps/bench/src/gpu-check.ts "$@"
