// Locates the real datasets for tests: DB_DATA_DIR, else ../shared/datasets beside the checkout (CI), else none.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/datasets/src/test-utils/real-data.ts). */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The real-data folder and, when there is none, why. */
export function realDataDir(): { dir?: string; reason: string } {
  if (process.env.DB_DATA_DIR) {
    const dir = path.resolve(process.env.DB_DATA_DIR);
    return existsSync(dir) ? { dir, reason: '' } : { reason: `DB_DATA_DIR=${dir} does not exist` };
  }
  const dir = path.resolve(repoRoot, '../shared/datasets');
  return existsSync(dir) ? { dir, reason: '' } : { reason: `no DB_DATA_DIR and no ${dir}` };
}
