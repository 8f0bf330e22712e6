import { randomBytes } from 'node:crypto';
import { link, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';

/** Who holds a lock file: written into it, so a waiter can tell a live holder from a dead one. */
interface LockHolder {
  pid: number;
  host: string;
  /** Unique per acquisition: a holder releases (and a breaker removes) only the lock it read. */
  token: string;
}

/** Tuning of {@link withFileLock}. */
export interface FileLockOptions {
  /**
   * A lock whose file has not been touched for this long is stale and may be taken over (its holder died on
   * another host, or hangs). The holder touches it every `staleMs / 4`. Default 60 s.
   */
  staleMs?: number;
  /** How often a waiter looks again. Default 100 ms. */
  pollMs?: number;
  /** Called once when this call has to wait for another holder. */
  onWait?: (holder: { pid: number; host: string }) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function code(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

/** Whether process `pid` exists on this host (EPERM: it exists but belongs to another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return code(err) === 'EPERM';
  }
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const h = JSON.parse(await readFile(file, 'utf8')) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.token === 'string') return h as LockHolder;
  } catch {
    // Unreadable or gone: judged by age alone below.
  }
  return undefined;
}

/**
 * Runs `fn` while holding an exclusive lock file at `lockPath`, across the async calls of one process and across
 * processes sharing the folder (e.g. parallel runs filling one download cache). The lock file appears atomically
 * with its content (written under a unique name, then hard-linked into place, which fails if the lock exists) and
 * names its holder: pid, host name and a token. A waiter takes over a stale lock, one whose holder is a dead
 * process on this host or whose file has not been touched for `staleMs` (the holder touches it while it works);
 * it does so by renaming the lock aside and checking it renamed the one it judged stale. The lock is removed
 * when `fn` settles.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const staleMs = options.staleMs ?? 60_000;
  const pollMs = options.pollMs ?? 100;
  const me: LockHolder = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') };
  const draft = `${lockPath}.${me.token}`;
  await writeFile(draft, JSON.stringify(me));
  let waited = false;
  try {
    for (;;) {
      try {
        await link(draft, lockPath);
        break;
      } catch (err) {
        if (code(err) !== 'EEXIST') throw err;
      }
      const holder = await readHolder(lockPath);
      let age: number;
      try {
        age = Date.now() - (await stat(lockPath)).mtimeMs;
      } catch (err) {
        if (code(err) === 'ENOENT') continue; // released meanwhile: try again at once
        throw err;
      }
      const dead = holder !== undefined && holder.host === me.host && !processAlive(holder.pid);
      if (dead || age > staleMs) {
        await breakStaleLock(lockPath, holder);
        continue;
      }
      if (!waited && holder) options.onWait?.({ pid: holder.pid, host: holder.host });
      waited = true;
      await sleep(pollMs);
    }
  } finally {
    await unlink(draft).catch(() => undefined);
  }

  // Keep the lock fresh while fn runs, so waiters on other hosts do not judge it stale.
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => undefined);
  }, Math.max(staleMs / 4, 10));
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    // Remove the lock only if it is still ours (a waiter may have judged a hung holder stale and taken over).
    if ((await readHolder(lockPath))?.token === me.token) await unlink(lockPath).catch(() => undefined);
  }
}

/**
 * Removes a stale lock without removing a fresh one that replaced it in the meantime: the lock is renamed aside
 * (atomic; only one breaker wins), and if what was renamed is not the lock judged stale, it is put back.
 */
async function breakStaleLock(lockPath: string, stale: LockHolder | undefined): Promise<void> {
  const aside = `${lockPath}.stale-${randomBytes(8).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (err) {
    if (code(err) === 'ENOENT') return; // another waiter broke or its holder released it
    throw err;
  }
  const taken = await readHolder(aside);
  if (stale !== undefined && taken !== undefined && taken.token !== stale.token) {
    // A live holder's lock: restore it unless yet another lock appeared (then both holders run; the cache's
    // steps are idempotent, so that costs a second download at worst).
    await link(aside, lockPath).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}
