/** Result records for tests, with real resolved configurations (the quick preset's unless settings are given). */
import { presetByName, type TableSettings } from '../experiments/presets.js';
import { tableById } from '../experiments/tables.js';
import { configHash } from '../plan/hash.js';
import { runConfig, runId } from '../plan/plan.js';
import type { RunRecord } from '../results/store.js';

/** Options of {@link makeRecord}. */
export interface RecordOptions {
  /** Settings of the table; default the quick preset's. */
  settings?: TableSettings;
  /** Final metrics of an ok record; default `{ accuracy }` from `accuracy`. */
  accuracy?: number;
  /** Makes it a failed record with this reason. */
  failed?: string;
  /** Preset name written in the record. */
  preset?: string;
  /** Extra record fields (e.g. `data`). */
  extra?: Partial<RunRecord>;
}

/** A record of (table, row, seed) as the bench writes it. */
export function makeRecord(table: number, row: string, seed: number, options: RecordOptions = {}): RunRecord {
  const t = tableById(table);
  const config = runConfig(t, row, seed, options.settings ?? presetByName('quick').settings(t));
  const accuracy = options.accuracy ?? 0.5;
  return {
    format: 1,
    status: options.failed === undefined ? 'ok' : 'failed',
    runId: runId(config),
    table,
    row,
    seed,
    preset: options.preset ?? 'quick',
    hash: configHash(config),
    config,
    commit: 'abc',
    environment: { backend: 'wasm', threads: 1, jobs: 1, cores: 2, cpu: 'x', node: 'v22', tfjs: '4.22.0', platform: 'linux-x64', host: 'h' },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: `2026-01-01T00:00:0${seed % 10}.000Z`,
    wallSeconds: 1,
    history: t.runner === 'classification' ? [{ epoch: 1, loss: 1, seconds: 1, accuracy, valLoss: 1 }] : [{ epoch: 1, loss: 1.5, seconds: 1, valLoss: 2 }],
    ...(options.failed === undefined
      ? { metrics: t.runner === 'classification' ? { accuracy, bestAccuracy: accuracy, loss: 1 } : { loss: 1.5, valLoss: 2, mAP: 0.01 } }
      : { reason: options.failed }),
    ...options.extra,
  };
}
