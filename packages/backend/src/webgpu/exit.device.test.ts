/**
 * A script that trained on webgpu ends on its own (no process.exit): a live Dawn device must not keep Node's event
 * loop running. Runs test-utils/exit-child.ts in a child process and waits for it to exit.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { webgpuSkipReason } from './test-utils/device.js';

const here = dirname(fileURLToPath(import.meta.url));

describe.skipIf(webgpuSkipReason != null)('a process that used webgpu', () => {
  it('exits on its own after training, with status 0', () => {
    const tsx = join(here, '..', '..', 'node_modules', '.bin', 'tsx');
    const child = spawnSync(tsx, ['--conditions=@db/source', join(here, 'test-utils', 'exit-child.ts')], {
      encoding: 'utf8',
      timeout: 90_000,
      env: { ...process.env, NO_RELEASE: '0' },
    });
    // A hang ends in spawnSync's timeout: signal SIGTERM, status null.
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(child.stdout).toMatch(/^loss \d+\.\d{4}$/m);
  }, 120_000);
});
