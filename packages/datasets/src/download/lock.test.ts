import { spawnSync } from 'node:child_process';
import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test-utils/fixtures.js';
import { withFileLock } from './lock.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('withFileLock', () => {
  it('runs one holder at a time across concurrent calls and removes the lock afterwards', async () => {
    const lock = path.join(tmp.dir, 'serial.lock');
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map((i) =>
        withFileLock(
          lock,
          async () => {
            most = Math.max(most, ++inside);
            await sleep(20);
            order.push(i);
            inside--;
          },
          { pollMs: 5 },
        ),
      ),
    );
    expect(most).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3]);
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('serial'))).toEqual([]);
  });

  it('takes over a lock left by a dead process on this host at once', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const lock = path.join(tmp.dir, 'dead.lock');
    writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), token: 'gone' }));
    const start = Date.now();
    expect(await withFileLock(lock, async () => 'ran', { pollMs: 5 })).toBe('ran');
    expect(Date.now() - start).toBeLessThan(5_000);
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('dead'))).toEqual([]);
  });

  it('waits for a live holder on another host, then takes the lock over once it has gone stale', async () => {
    const lock = path.join(tmp.dir, 'remote.lock');
    writeFileSync(lock, JSON.stringify({ pid: 1, host: `not-${hostname()}`, token: 'remote' }));
    const waits: { pid: number; host: string }[] = [];
    const start = Date.now();
    // Fresh (touched now): waited for; untouched for staleMs: taken over.
    expect(await withFileLock(lock, async () => 'ran', { staleMs: 300, pollMs: 10, onWait: (h) => waits.push(h) })).toBe('ran');
    expect(Date.now() - start).toBeGreaterThanOrEqual(250);
    expect(waits).toEqual([{ pid: 1, host: `not-${hostname()}` }]);
    // An old lock file from another host is stale at once.
    writeFileSync(lock, JSON.stringify({ pid: 1, host: `not-${hostname()}`, token: 'old' }));
    utimesSync(lock, new Date(0), new Date(0));
    expect(await withFileLock(lock, async () => 'again', { staleMs: 60_000, pollMs: 10 })).toBe('again');
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('remote'))).toEqual([]);
  });

  it('a holder keeps its lock fresh while it works, so waiters do not take it over', async () => {
    const lock = path.join(tmp.dir, 'busy.lock');
    let inside = 0;
    let most = 0;
    const work = () =>
      withFileLock(
        lock,
        async () => {
          most = Math.max(most, ++inside);
          await sleep(1200); // longer than staleMs: only the heartbeat keeps the lock from looking stale
          inside--;
        },
        { staleMs: 500, pollMs: 10 },
      );
    await Promise.all([work(), work()]);
    expect(most).toBe(1);
  });
});
