import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findGpuDeviceNodes, findVulkanLoader } from './vulkan-loader.js';

describe('findVulkanLoader', () => {
  it('finds libvulkan.so.1 in an LD_LIBRARY_PATH folder first', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-'));
    fs.writeFileSync(path.join(dir, 'libvulkan.so.1'), '');
    expect(findVulkanLoader({ LD_LIBRARY_PATH: `/nonexistent:${dir}` }, 'linux')).toBe(path.join(dir, 'libvulkan.so.1'));
    fs.rmSync(dir, { recursive: true });
  });

  it('agrees with the dynamic linker cache on this machine', () => {
    let cached = false;
    try {
      cached = /libvulkan\.so\.1 /.test(execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' }));
    } catch {
      cached = false;
    }
    const found = findVulkanLoader({}, 'linux');
    if (cached) expect(found).not.toBeNull();
    else expect(found === null || fs.existsSync(found)).toBe(true);
  });

  it('leaves other platforms to Dawn', () => {
    expect(findVulkanLoader({}, 'darwin')).toBe('darwin');
  });
});

describe('findGpuDeviceNodes', () => {
  it('lists NVIDIA, DRM render and WSL device nodes, and nothing else', () => {
    const dev = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-'));
    expect(findGpuDeviceNodes('linux', dev)).toEqual([]);
    fs.mkdirSync(path.join(dev, 'dri'));
    for (const f of ['nvidiactl', 'nvidia-uvm', 'null', 'dri/card0']) fs.writeFileSync(path.join(dev, f), '');
    expect(findGpuDeviceNodes('linux', dev)).toEqual([]);
    for (const f of ['nvidia0', 'dxg', 'dri/renderD128']) fs.writeFileSync(path.join(dev, f), '');
    expect(findGpuDeviceNodes('linux', dev).sort()).toEqual([path.join(dev, 'dri', 'renderD128'), path.join(dev, 'dxg'), path.join(dev, 'nvidia0')]);
    expect(findGpuDeviceNodes('darwin', dev)).toEqual(['darwin']);
  });
});
