import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendRecord, type RunRecord } from '../results/store.js';
import { compactRanges, readShardPlan, shardPlanFileName, shardStates, writeShardPlan } from './shards.js';

function record(runId: string, hash: string, status: 'ok' | 'failed'): RunRecord {
  return {
    format: 1,
    status,
    runId,
    table: 6,
    row: runId.split('-')[1],
    seed: 1,
    preset: 'quick',
    hash,
    config: {} as RunRecord['config'],
    commit: 'abc',
    environment: { backend: 'wasm', threads: 1, jobs: 1, cores: 2, cpu: 'x', node: 'v20', tfjs: '4.22.0', platform: 'linux-x64', host: 'h' },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    wallSeconds: 1,
    history: [],
    ...(status === 'ok' ? { metrics: { accuracy: 0.5 } } : { reason: 'worker process killed by SIGTERM' }),
  };
}

const dir = () => mkdtempSync(path.join(tmpdir(), 'bench-shards-'));

describe('shard plans and states', () => {
  it('round-trips a plan and names the file after the shard', () => {
    const out = dir();
    writeShardPlan(out, { index: 2, count: 3 }, [{ id: 't6-dropout-s1', hash: 'h2' }]);
    expect(shardPlanFileName({ index: 2, count: 3 })).toBe('plan-shard-2-of-3.json');
    const plan = readShardPlan(out, { index: 2, count: 3 });
    expect(plan?.runs).toEqual([{ id: 't6-dropout-s1', hash: 'h2' }]);
    expect(plan?.shard).toEqual({ index: 2, count: 3 });
    expect(readShardPlan(out, { index: 1, count: 3 })).toBeUndefined();
  });

  it('counts a shard complete only when every planned hash has an ok record in any result file', () => {
    const out = dir();
    writeShardPlan(out, { index: 1, count: 3 }, [
      { id: 't6-none-s1', hash: 'h1' },
      { id: 't6-dropBlock3-s1', hash: 'h4' },
    ]);
    writeShardPlan(out, { index: 2, count: 3 }, [{ id: 't6-dropout-s1', hash: 'h2' }]);
    // Shard 1: one ok run, and a failed record of the run a cancel interrupted: incomplete.
    appendRecord(path.join(out, 'results-shard-1-of-3.jsonl'), record('t6-none-s1', 'h1', 'ok'));
    appendRecord(path.join(out, 'results-shard-1-of-3.jsonl'), record('t6-dropBlock3-s1', 'h4', 'failed'));
    // Shard 2's run is only in the merged file (its own file was lost): still finished.
    appendRecord(path.join(out, 'results.jsonl'), record('t6-dropout-s1', 'h2', 'ok'));
    expect(shardStates(out, 3)).toEqual([
      { index: 1, planned: 2, finished: 1, complete: false },
      { index: 2, planned: 1, finished: 1, complete: true },
      { index: 3, finished: 0, complete: false },
    ]);
  });

  it('rejects a corrupt plan or one of another shard, naming the file', () => {
    const out = dir();
    writeFileSync(path.join(out, 'plan-shard-1-of-2.json'), '{"format":1,');
    expect(() => readShardPlan(out, { index: 1, count: 2 })).toThrow(/plan-shard-1-of-2\.json is not a shard plan/);
    writeFileSync(path.join(out, 'plan-shard-2-of-2.json'), JSON.stringify({ format: 1, shard: { index: 1, count: 2 }, runs: [] }));
    expect(() => readShardPlan(out, { index: 2, count: 2 })).toThrow(/plan-shard-2-of-2\.json is not the plan of shard 2\/2/);
  });

  it('writes Slurm array ranges', () => {
    expect(compactRanges([8, 1, 2, 3, 5, 7, 2])).toBe('1-3,5,7-8');
    expect(compactRanges([4])).toBe('4');
    expect(compactRanges([])).toBe('');
  });
});
