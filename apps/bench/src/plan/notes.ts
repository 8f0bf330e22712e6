/**
 * `plan.json` beside the results: what the plan left out and why, so that `pnpm bench report` can list the tables
 * the budget did not buy (their records do not exist) with the budget each would need.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The plan's notes. */
export interface PlanNotes {
  /** Preset name. */
  preset: string;
  /** Budget of a budget-sized preset, in seconds. */
  budgetSeconds?: number;
  /** One line per table left out (missing data, failed calibration, minimum beyond the budget). */
  leftOut: string[];
  /** Warnings (tables forced in below their minimum). */
  warnings: string[];
}

/** The notes file of an output folder. */
export function planNotesFile(dir: string): string {
  return path.join(dir, 'plan.json');
}

/** Writes `notes` to `dir/plan.json` atomically. */
export function writePlanNotes(dir: string, notes: PlanNotes): void {
  mkdirSync(dir, { recursive: true });
  const file = planNotesFile(dir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(notes, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Reads `dir/plan.json`; undefined when absent or unreadable (the report then just has no such section). */
export function readPlanNotes(dir: string): PlanNotes | undefined {
  const file = planNotesFile(dir);
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as PlanNotes;
    return Array.isArray(parsed.leftOut) && Array.isArray(parsed.warnings) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
