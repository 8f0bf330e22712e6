/**
 * Which module runs which kind of table. A kind without an entry here is not available in this build: its tables
 * are listed in the plan as skipped, and selecting one with `--tables` is an error naming the reason.
 */
import type { RunConfig } from '../experiments/config.js';
import type { RunnerKind } from '../experiments/tables.js';
import type { Runner } from './types.js';

const RUNNERS: Partial<Record<RunnerKind, () => Promise<Runner>>> = {
  classification: async () => (await import('./classification.js')).classificationRunner as unknown as Runner,
  detection: async () => (await import('./detection.js')).detectionRunner as unknown as Runner,
};

/** Whether this build has a runner for `kind`. */
export function hasRunner(kind: RunnerKind): boolean {
  return RUNNERS[kind] !== undefined;
}

/** Why a kind has no runner, in one line. */
export function missingRunnerReason(kind: RunnerKind): string {
  return kind === 'detection'
    ? 'the RetinaNet runner (@db/detection) is not part of this build'
    : `no runner for '${kind}' tables in this build`;
}

/** Loads the runner of `kind`; throws a RangeError naming the kind when there is none. */
export async function loadRunner<C extends RunConfig>(kind: RunnerKind): Promise<Runner<C>> {
  const load = RUNNERS[kind];
  if (load === undefined) throw new RangeError(missingRunnerReason(kind));
  return (await load()) as unknown as Runner<C>;
}
