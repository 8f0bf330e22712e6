/**
 * Result files: JSON lines, one record per finished (or failed) run, only ever appended to.
 *
 * A record is written with one `write` on a file opened for appending and then fsync'ed, so a crash (even
 * `kill -9`) leaves at worst a torn last line; readers ignore a torn last line, and the next append starts on a
 * fresh line, so nothing finished is lost.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { RunConfig } from '../experiments/config.js';
import type { DataSource } from '../experiments/data-source.js';
import { canonicalJson } from '../plan/hash.js';
import type { EpochRecord } from '../runners/types.js';

/** Format version of {@link RunRecord}. */
export const RECORD_FORMAT = 1;

/** Where and how a run ran. */
export interface RecordEnvironment {
  /** TF.js backend, e.g. `wasm`. */
  backend: string;
  /** wasm threads of the run's process. */
  threads: number;
  /** Parallel jobs of the bench. */
  jobs: number;
  /** Logical cores of the machine. */
  cores: number;
  /** CPU model. */
  cpu: string;
  /** Node.js version. */
  node: string;
  /** `@tensorflow/tfjs-core` version. */
  tfjs: string;
  /** `process.platform`-`process.arch`. */
  platform: string;
  /** Host name. */
  host: string;
}

/** One line of a result file. */
export interface RunRecord {
  /** {@link RECORD_FORMAT}. */
  format: number;
  /** `ok`: finished; `failed`: stopped by an error (its `reason` says which). */
  status: 'ok' | 'failed';
  /** `t1-dropBlock3-s2`. */
  runId: string;
  /** Table number. */
  table: number;
  /** Row key. */
  row: string;
  /** Seed. */
  seed: number;
  /** Preset the run belongs to. */
  preset: string;
  /** Hash of `config`. */
  hash: string;
  /** The full resolved configuration. */
  config: RunConfig;
  /** `git rev-parse HEAD` of the checkout (with `-dirty` when it had changes), or `unknown`. */
  commit: string;
  /** Backend, threads, versions. */
  environment: RecordEnvironment;
  /** The data the run read: source, folder, what it is, checksums (absent in records written before it was kept). */
  data?: DataSource;
  /** ISO time the run started. */
  startedAt: string;
  /** ISO time the run ended. */
  finishedAt: string;
  /** Wall seconds, worker start to result. */
  wallSeconds: number;
  /** Per-epoch history (ok runs; failed runs keep the epochs they finished). */
  history: EpochRecord[];
  /** Final metrics (ok runs). */
  metrics?: Record<string, number>;
  /** Extra series (detection: cocoStats). */
  series?: Record<string, number[]>;
  /** Why the run failed, one line (failed runs). */
  reason?: string;
}

/** Records read from files, and what was skipped. */
export interface ReadResult {
  /** The records, in file order. */
  records: RunRecord[];
  /** One line per skipped line (a torn last line, or a corrupt line). */
  warnings: string[];
}

function isRecord(value: unknown): value is RunRecord {
  const r = value as RunRecord;
  return (
    typeof r === 'object' && r !== null && (r.status === 'ok' || r.status === 'failed') && typeof r.runId === 'string' &&
    typeof r.hash === 'string' && typeof r.table === 'number' && typeof r.row === 'string' && typeof r.seed === 'number'
  );
}

/** Reads one result file. A missing file has no records. */
export function readResults(file: string): ReadResult {
  if (!existsSync(file)) return { records: [], warnings: [] };
  const lines = readFileSync(file, 'utf8').split('\n');
  const records: RunRecord[] = [];
  const warnings: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const isLast = i === lines.length - 1; // no newline after it: the write was cut short
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      warnings.push(
        isLast
          ? `${file}: ignored a torn last line (a run interrupted while its record was written; it will run again)`
          : `${file}: line ${i + 1} is not JSON; skipped`,
      );
      return;
    }
    if (isRecord(parsed)) records.push(parsed);
    else warnings.push(`${file}: line ${i + 1} is not a bench result record; skipped`);
  });
  return { records, warnings };
}

/** Appends one record as one line; starts a fresh line first when the file ends in a torn line. */
export function appendRecord(file: string, record: RunRecord): void {
  mkdirSync(path.dirname(file), { recursive: true });
  let prefix = '';
  if (existsSync(file) && statSync(file).size > 0) {
    const fd = openSync(file, 'r');
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, statSync(file).size - 1);
    closeSync(fd);
    if (last[0] !== 0x0a) prefix = '\n';
  }
  const fd = openSync(file, 'a');
  try {
    writeSync(fd, `${prefix}${JSON.stringify(record)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The result files of an output directory: `results.jsonl` and `results-*.jsonl` (shards), sorted. */
export function resultFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^results(-.+)?\.jsonl$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Every record of every result file of `dir`. */
export function readDir(dir: string): ReadResult {
  const all: ReadResult = { records: [], warnings: [] };
  for (const file of resultFiles(dir)) {
    const r = readResults(file);
    all.records.push(...r.records);
    all.warnings.push(...r.warnings);
  }
  return all;
}

/** The result file a bench writes: `results.jsonl`, or `results-shard-i-of-n.jsonl` for a shard. */
export function resultFileName(shard?: { index: number; count: number }): string {
  return shard === undefined ? 'results.jsonl' : `results-shard-${shard.index}-of-${shard.count}.jsonl`;
}

/** Run ids whose records disagree on the configuration hash, as one-line messages. */
export function hashConflicts(records: readonly RunRecord[], expected?: ReadonlyMap<string, string>): string[] {
  const seen = new Map<string, string>(expected);
  const conflicts: string[] = [];
  for (const r of records) {
    const known = seen.get(r.runId);
    if (known === undefined) seen.set(r.runId, r.hash);
    else if (known !== r.hash && !conflicts.some((c) => c.startsWith(`${r.runId} `))) {
      conflicts.push(`${r.runId} (preset ${r.preset}) has config hash ${r.hash}, not ${known}`);
    }
  }
  return conflicts;
}

/**
 * The settings a table's runs share: the resolved configuration without what tells its runs apart (row, its
 * regulariser, seed). Runs of one table may differ in those; anything else that differs (epochs, training images,
 * batch size, network size, evaluation, ...) makes their figures incomparable, so they cannot share a table and its
 * verdicts.
 */
export function tableSettings(config: RunConfig): Record<string, unknown> {
  const { row: _row, seed: _seed, regularizer: _regularizer, ...rest } = config;
  return rest;
}

/** `a.b.c` paths of the leaves of a JSON value (arrays are leaves), with their canonical JSON. */
function leaves(value: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      for (const [p, text] of leaves(v, prefix === '' ? k : `${prefix}.${k}`)) out.set(p, text);
    }
    if (out.size === 0 && prefix !== '') out.set(prefix, '{}');
  } else {
    out.set(prefix, canonicalJson(value));
  }
  return out;
}

function listIds(ids: readonly string[]): string {
  return ids.length <= 6 ? ids.join(', ') : `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more`;
}

/**
 * Tables whose records were trained with different {@link tableSettings}, one message per table naming the
 * settings that differ (`settings.` left out) and the records of each set, e.g. `table 6 holds records trained with
 * different settings: epochs 1 (t6-none-s1) vs epochs 2 (t6-dropout-s1)`. With `expected` (a table's settings in
 * the plan about to run), records that differ from it are named against "this plan".
 */
export function mixedSettings(records: readonly RunRecord[], expected?: ReadonlyMap<number, RunConfig>): string[] {
  const messages: string[] = [];
  const tables = [...new Set([...records.map((r) => r.table), ...(expected?.keys() ?? [])])].sort((a, b) => a - b);
  for (const table of tables) {
    const groups = new Map<string, { leaves: Map<string, string>; ids: string[]; plan?: boolean }>();
    const plan = expected?.get(table);
    if (plan !== undefined) groups.set(canonicalJson(tableSettings(plan)), { leaves: leaves(tableSettings(plan)), ids: [], plan: true });
    for (const r of records) {
      if (r.table !== table || r.config === undefined) continue;
      const settings = tableSettings(r.config);
      const key = canonicalJson(settings);
      const group = groups.get(key) ?? { leaves: leaves(settings), ids: [] };
      if (!group.ids.includes(r.runId)) group.ids.push(r.runId);
      groups.set(key, group);
    }
    if (groups.size < 2) continue;
    const all = [...groups.values()];
    const paths = [...new Set(all.flatMap((g) => [...g.leaves.keys()]))].filter((p) => new Set(all.map((g) => g.leaves.get(p) ?? 'unset')).size > 1);
    const describe = (g: { leaves: Map<string, string>; ids: string[]; plan?: boolean }) =>
      `${paths.map((p) => `${p.replace(/^settings\./, '')} ${g.leaves.get(p) ?? 'unset'}`).join(', ')} (${[...(g.plan ? ['this plan'] : []), ...(g.ids.length > 0 ? [listIds(g.ids)] : [])].join(', ')})`;
    messages.push(
      plan !== undefined
        ? `records of table ${table} trained with other settings: ${all.map(describe).join(' vs ')}`
        : `table ${table} holds records trained with different settings: ${all.map(describe).join(' vs ')}`,
    );
  }
  return messages;
}

/** Hashes of the runs that finished (status ok). */
export function finishedHashes(records: readonly RunRecord[]): Set<string> {
  return new Set(records.filter((r) => r.status === 'ok').map((r) => r.hash));
}

/**
 * The record that counts for each run: its first `ok` record, else its last `failed` one. Duplicates (the same run
 * in two merged files) count once.
 */
export function effectiveRecords(records: readonly RunRecord[]): RunRecord[] {
  const byRun = new Map<string, RunRecord>();
  for (const r of records) {
    const key = `${r.runId}|${r.hash}`;
    const known = byRun.get(key);
    if (known === undefined || (known.status === 'failed' && (r.status === 'ok' || r.finishedAt > known.finishedAt))) byRun.set(key, r);
  }
  return [...byRun.values()];
}

/** Identity of a record for merging: the same run finished at the same moment. */
function recordKey(r: RunRecord): string {
  return `${r.hash}|${r.status}|${r.startedAt}|${r.finishedAt}`;
}

/**
 * Merges result files into `into` by appending the records it does not have yet (never rewriting it). Throws a
 * RangeError when the files disagree on a run's configuration.
 * @returns how many records were appended and how many were already there.
 */
export function mergeResults(inputs: readonly string[], into: string): { appended: number; present: number; warnings: string[] } {
  const target = readResults(into);
  const warnings = [...target.warnings];
  const incoming: RunRecord[] = [];
  for (const file of inputs) {
    if (!existsSync(file)) throw new RangeError(`merge: no such file '${file}'`);
    if (path.resolve(file) === path.resolve(into)) continue;
    const r = readResults(file);
    incoming.push(...r.records);
    warnings.push(...r.warnings);
  }
  const conflicts = hashConflicts([...target.records, ...incoming]);
  if (conflicts.length > 0) {
    throw new RangeError(`merge: the files come from different configurations: ${conflicts[0]}${conflicts.length > 1 ? ` (and ${conflicts.length - 1} more)` : ''}`);
  }
  const mixed = mixedSettings([...target.records, ...incoming]);
  if (mixed.length > 0) throw new RangeError(`merge: ${mixed.join('; ')}; merge each set of settings into its own file`);
  const have = new Set(target.records.map(recordKey));
  let appended = 0;
  let present = 0;
  for (const r of incoming) {
    const key = recordKey(r);
    if (have.has(key)) {
      present++;
      continue;
    }
    appendRecord(into, r);
    have.add(key);
    appended++;
  }
  return { appended, present, warnings };
}
