/**
 * What each shard of a results folder has left to do, for resubmitting only unfinished shards
 * (`pnpm bench slurm --resume`) and for `pnpm bench slurm`'s progress line.
 *
 * A shard's bench (`pnpm bench --shard i/n --out DIR`) writes its plan, the ids and config hashes of its runs, to
 * `DIR/plan-shard-i-of-n.json` before it trains. A shard is complete when every hash of its plan has an `ok` record
 * in DIR's result files (any of them: its own shard file or a merged results.jsonl), which is the same test the
 * bench uses to skip finished runs; a shard without a plan file never got as far as planning and is incomplete.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { finishedHashes, readDir } from '../results/store.js';

/** One shard's plan as its bench wrote it. */
export interface ShardPlanFile {
  format: 1;
  /** 1-based shard index and the shard count. */
  shard: { index: number; count: number };
  /** The shard's runs: readable id and config hash. */
  runs: { id: string; hash: string }[];
  /** ISO time the plan was written. */
  writtenAt: string;
}

/** `plan-shard-i-of-n.json`, next to the shard's `results-shard-i-of-n.jsonl`. */
export function shardPlanFileName(shard: { index: number; count: number }): string {
  return `plan-shard-${shard.index}-of-${shard.count}.json`;
}

/** Writes a shard's plan into `outDir` atomically (temporary file, then rename): a reader never sees half a plan. */
export function writeShardPlan(outDir: string, shard: { index: number; count: number }, runs: readonly { id: string; hash: string }[]): void {
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, shardPlanFileName(shard));
  const content: ShardPlanFile = {
    format: 1,
    shard: { index: shard.index, count: shard.count },
    runs: runs.map((r) => ({ id: r.id, hash: r.hash })),
    writtenAt: new Date().toISOString(),
  };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(content, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Reads a shard's plan; undefined when absent. A corrupt file is a RangeError naming it. */
export function readShardPlan(outDir: string, shard: { index: number; count: number }): ShardPlanFile | undefined {
  const file = path.join(outDir, shardPlanFileName(shard));
  if (!existsSync(file)) return undefined;
  let parsed: ShardPlanFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as ShardPlanFile;
  } catch (error) {
    throw new RangeError(`${file} is not a shard plan (${error instanceof Error ? error.message : String(error)}); remove it and resubmit the shard`);
  }
  if (parsed.format !== 1 || !Array.isArray(parsed.runs) || parsed.shard?.index !== shard.index || parsed.shard?.count !== shard.count) {
    throw new RangeError(`${file} is not the plan of shard ${shard.index}/${shard.count}; remove it and resubmit the shard`);
  }
  return parsed;
}

/** Where one shard stands. */
export interface ShardState {
  /** 1-based shard index. */
  index: number;
  /** Runs in its plan; undefined when it has not written a plan (never started). */
  planned?: number;
  /** Runs of its plan with an ok record in the folder. */
  finished: number;
  /** Every run of its plan finished. */
  complete: boolean;
}

/** The state of each of the `count` shards of `outDir`, from their plan files and the folder's result files. */
export function shardStates(outDir: string, count: number): ShardState[] {
  const done = finishedHashes(readDir(outDir).records);
  const states: ShardState[] = [];
  for (let index = 1; index <= count; index++) {
    const plan = readShardPlan(outDir, { index, count });
    if (plan === undefined) {
      states.push({ index, finished: 0, complete: false });
      continue;
    }
    const finished = plan.runs.filter((r) => done.has(r.hash)).length;
    states.push({ index, planned: plan.runs.length, finished, complete: finished === plan.runs.length });
  }
  return states;
}

/** `1-3,5,7-8` from sorted distinct integers (Slurm's --array syntax). */
export function compactRanges(values: readonly number[]): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
