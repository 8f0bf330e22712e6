/**
 * Where the Vulkan loader (`libvulkan.so.1`) is, if anywhere. Dawn's Node binding loads it with dlopen and, when it
 * is missing, prints a native warning to stderr that no JavaScript can catch; looking first keeps the backend search
 * quiet on the many machines without Vulkan. Linux only: elsewhere Dawn uses Metal / D3D12 and this returns the
 * platform name.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const LOADER = 'libvulkan.so.1';
/** Library folders of Debian/Ubuntu, Fedora/RHEL, and NVIDIA's container images. */
const COMMON_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib', '/usr/local/lib', '/usr/local/nvidia/lib64'];

/** The loader's path (or, off Linux, the platform), else null. */
export function findVulkanLoader(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | null {
  if (platform !== 'linux') return platform;
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d.length > 0);
  for (const dir of [...dirs, ...COMMON_DIRS]) {
    const file = path.join(dir, LOADER);
    if (fs.existsSync(file)) return file;
  }
  // The dynamic linker's cache knows folders listed in /etc/ld.so.conf.d that the list above misses.
  for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    if (!fs.existsSync(ldconfig)) continue;
    try {
      const out = execFileSync(ldconfig, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
      const line = out.split('\n').find((l) => l.trim().startsWith(`${LOADER} `));
      if (line != null) return line.split('=>').pop()?.trim() ?? LOADER;
    } catch {
      // No cache to read: nothing found.
    }
  }
  return null;
}

/**
 * Device nodes through which a Vulkan driver reaches GPU hardware on Linux: `/dev/nvidia0`... (NVIDIA's driver),
 * `/dev/dri/renderD128`... (Mesa's AMD / Intel drivers, and NVIDIA's through DRM), `/dev/dxg` (WSL 2's GPU
 * paravirtualisation). A hardware adapter needs one of them; without any, only a software rasteriser (lavapipe,
 * SwiftShader) could answer, and the search does not use those. Looking costs a directory listing, while asking
 * Dawn loads every installed Vulkan driver, whose start-up writes to stderr where no JavaScript can catch it (e.g.
 * `error: XDG_RUNTIME_DIR is invalid or not set in the environment.` from the drivers' window-system code).
 * Off Linux returns `[platform]`: Metal and D3D12 need no device node.
 */
export function findGpuDeviceNodes(platform: NodeJS.Platform = process.platform, devDir = '/dev'): string[] {
  if (platform !== 'linux') return [platform];
  const found: string[] = [];
  const list = (dir: string): string[] => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  };
  for (const name of list(devDir)) {
    if (/^nvidia\d+$/.test(name) || name === 'dxg') found.push(path.join(devDir, name));
  }
  for (const name of list(path.join(devDir, 'dri'))) {
    if (/^renderD\d+$/.test(name)) found.push(path.join(devDir, 'dri', name));
  }
  return found;
}
