/**
 * A successful search prints our choice report and nothing else (issue 20, item 7). On a machine without a GPU,
 * Dawn's Vulkan start-up used to print `error: XDG_RUNTIME_DIR is invalid or not set in the environment.` (twice,
 * from the Vulkan drivers' window-system code), a Dawn warning naming a source path on the webgpu package's build
 * machine, and a hint at a script the @db/backend tarball does not ship. None of that can be caught from
 * JavaScript (native writes to fd 2), so it is checked on a child process's real stderr.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findGpuDeviceNodes } from '../webgpu/vulkan-loader.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The environment of a machine without a GPU driver set up: CI's lavapipe set-up (scripts/setup-vulkan.sh) removed. */
function noVulkanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES', 'XDG_RUNTIME_DIR', 'DB_BACKEND', 'DB_REQUIRE_WEBGPU']) {
    delete env[name];
  }
  env.DB_WASM_THREADS = '1';
  return env;
}

// On a machine with a GPU device node the search loads Dawn for real, and what its driver prints is the driver's.
describe.skipIf(findGpuDeviceNodes().length > 0)('useFastestBackend() on a machine without a GPU', () => {
  it('writes nothing to stderr and reports its choice on stdout', () => {
    const tsx = join(here, '..', '..', 'node_modules', '.bin', 'tsx');
    const child = spawnSync(tsx, ['--conditions=@db/source', join(here, 'test-utils', 'search-child.ts')], {
      encoding: 'utf8',
      timeout: 90_000,
      env: noVulkanEnv(),
    });
    expect(child.status).toBe(0);
    expect(child.stderr).toBe('');
    const lines = child.stdout.split('\n').filter((l) => l.length > 0);
    expect(lines[0]).toMatch(/^@db\/backend: using (wasm|tensorflow) /);
    expect(lines.every((l) => l.startsWith('@db/backend: '))).toBe(true);
    // The webgpu line says why in words a user of the published package can act on.
    const webgpu = lines.find((l) => l.includes('skipped @tensorflow/tfjs-backend-webgpu'));
    expect(webgpu).toMatch(/no GPU/);
    expect(child.stdout).not.toMatch(/scripts\/setup-vulkan\.sh/);
  }, 120_000);
});
