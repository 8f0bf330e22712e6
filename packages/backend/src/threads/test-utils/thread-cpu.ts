/**
 * Per-thread CPU time of this process from /proc/self/task/<tid>/stat (Linux): utime + stime, fields 14 and 15,
 * in clock ticks (USER_HZ, 100 per second on Linux). Lets a test or benchmark see *which* threads did the work,
 * which wall time on a shared machine cannot show.
 */
import { readdirSync, readFileSync } from 'node:fs';

export const TICKS_PER_SECOND = 100;

export function threadCpuTicks(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // The command name (field 2) is parenthesised and may contain spaces: split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(fields[11]) + Number(fields[12]));
    } catch {
      // The thread exited between readdir and read.
    }
  }
  return out;
}

/** CPU ticks each thread spent between two snapshots (threads absent from `before` count from 0). */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): Map<number, number> {
  const d = new Map<number, number>();
  for (const [tid, t] of after) d.set(tid, t - (before.get(tid) ?? 0));
  return d;
}

export const isLinux = process.platform === 'linux';
