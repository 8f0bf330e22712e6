import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClassificationSettings } from '../experiments/tables.js';
import { makeRecord } from '../test-utils/records.js';
import { appendRecord, effectiveRecords, finishedHashes, mergeResults, mixedSettings, readResults, type RunRecord } from './store.js';

function record(runId: string, hash: string, status: 'ok' | 'failed' = 'ok', finishedAt = '2026-01-01T00:00:01.000Z'): RunRecord {
  const [t, row, s] = runId.split('-');
  return {
    format: 1,
    status,
    runId,
    table: Number(t.slice(1)),
    row,
    seed: Number(s.slice(1)),
    preset: 'quick',
    hash,
    config: {} as RunRecord['config'],
    commit: 'abc',
    environment: { backend: 'wasm', threads: 1, jobs: 1, cores: 2, cpu: 'x', node: 'v20', tfjs: '4.22.0', platform: 'linux-x64', host: 'h' },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt,
    wallSeconds: 1,
    history: [{ epoch: 1, loss: 1, seconds: 1, accuracy: 0.5 }],
    ...(status === 'ok' ? { metrics: { accuracy: 0.5 } } : { reason: 'boom' }),
  };
}

const dir = () => mkdtempSync(path.join(tmpdir(), 'bench-store-'));

describe('result files', () => {
  it('ignore a torn last line, and the next append starts on a fresh line', () => {
    const file = path.join(dir(), 'results.jsonl');
    appendRecord(file, record('t1-none-s1', 'h1'));
    // A writer killed in the middle of a record leaves part of a line without its newline.
    appendFileSync(file, JSON.stringify(record('t1-none-s2', 'h2')).slice(0, 40));
    let read = readResults(file);
    expect(read.records.map((r) => r.runId)).toEqual(['t1-none-s1']);
    expect(read.warnings).toEqual([`${file}: ignored a torn last line (a run interrupted while its record was written; it will run again)`]);
    appendRecord(file, record('t1-none-s2', 'h2'));
    read = readResults(file);
    expect(read.records.map((r) => r.runId)).toEqual(['t1-none-s1', 't1-none-s2']);
    // The torn fragment stays (the file is append-only) but is now a corrupt middle line, reported and skipped.
    expect(read.warnings).toEqual([`${file}: line 2 is not JSON; skipped`]);
    expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true);
  });

  it('count a run as finished only with an ok record, and prefer it over failures', () => {
    const records = [record('t1-none-s1', 'h1', 'failed'), record('t1-none-s1', 'h1'), record('t1-none-s2', 'h2', 'failed')];
    expect([...finishedHashes(records)]).toEqual(['h1']);
    expect(effectiveRecords(records).map((r) => `${r.runId}:${r.status}`)).toEqual(['t1-none-s1:ok', 't1-none-s2:failed']);
  });

  it('merge by appending missing records only, never rewriting the target', () => {
    const d = dir();
    const a = path.join(d, 'results-shard-1-of-2.jsonl');
    const b = path.join(d, 'results-shard-2-of-2.jsonl');
    const into = path.join(d, 'results.jsonl');
    appendRecord(a, record('t1-none-s1', 'h1'));
    appendRecord(b, record('t1-none-s2', 'h2'));
    appendRecord(b, record('t1-dropout-s1', 'h3', 'failed'));
    appendRecord(into, record('t1-none-s1', 'h1'));
    const before = readFileSync(into, 'utf8');
    expect(mergeResults([a, b], into)).toMatchObject({ appended: 2, present: 1 });
    const after = readFileSync(into, 'utf8');
    expect(after.startsWith(before)).toBe(true);
    expect(readResults(into).records.map((r) => r.runId)).toEqual(['t1-none-s1', 't1-none-s2', 't1-dropout-s1']);
    expect(mergeResults([a, b], into)).toMatchObject({ appended: 0, present: 3 });
  });

  it('refuse to merge results of the same run under other settings', () => {
    const d = dir();
    const a = path.join(d, 'a.jsonl');
    const b = path.join(d, 'b.jsonl');
    appendRecord(a, record('t1-none-s1', 'h1'));
    appendRecord(b, record('t1-none-s1', 'other'));
    expect(() => mergeResults([a, b], path.join(d, 'm.jsonl'))).toThrow(
      'merge: the files come from different configurations: t1-none-s1 (preset quick) has config hash other, not h1',
    );
    expect(() => mergeResults([path.join(d, 'missing.jsonl')], path.join(d, 'm.jsonl'))).toThrow(/^merge: no such file/);
  });

  it('skip lines that are JSON but not records', () => {
    const file = path.join(dir(), 'results.jsonl');
    writeFileSync(file, '{"hello":1}\n');
    expect(readResults(file)).toEqual({ records: [], warnings: [`${file}: line 1 is not a bench result record; skipped`] });
  });

  it('find tables whose records were trained with different settings, naming what differs', () => {
    const quick = makeRecord(2, 'none', 1);
    const settings = quick.config.settings as ClassificationSettings;
    const wider = makeRecord(2, 'dropout', 1, { settings: { ...settings, network: { ...settings.network, growthRate: 12 } } });
    const more = makeRecord(2, 'none', 2);
    expect(mixedSettings([quick, more, makeRecord(6, 'none', 1)])).toEqual([]);
    expect(mixedSettings([quick, wider, more])).toEqual([
      'table 2 holds records trained with different settings: network.growthRate 8 (t2-none-s1, t2-none-s2) vs network.growthRate 12 (t2-dropout-s1)',
    ]);
    // Against a plan: a setting only one side has is "unset" on the other.
    const plan = { ...quick.config, settings: { ...settings, extra: true } } as unknown as RunRecord['config'];
    expect(mixedSettings([quick], new Map([[2, plan]]))).toEqual([
      'records of table 2 trained with other settings: extra true (this plan) vs extra unset (t2-none-s1)',
    ]);
  });
});
