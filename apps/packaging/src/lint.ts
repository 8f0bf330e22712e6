/**
 * Lints packed tarballs the way a registry consumer sees them: publint (package.json fields against the files
 * that ship) and Are the Types Wrong (`attw`, types resolve for ESM consumers under node16 and bundler
 * resolution; `esm-only` profile, as these packages ship no CommonJS).
 */
import * as path from 'node:path';
import { ROOT, run } from './workspace.js';

/** One tool's verdict on one tarball. */
export interface LintResult {
  ok: boolean;
  /** The tool's own output, for the reader. */
  output: string;
}

const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);

/** publint with warnings counted as errors. */
export function publint(tarball: string): LintResult {
  try {
    const output = run(bin('publint'), ['run', tarball, '--strict'], path.dirname(tarball));
    return { ok: true, output: output.trim() };
  } catch (e) {
    return { ok: false, output: (e as Error).message };
  }
}

/** attw on the tarball with the esm-only profile. */
export function attw(tarball: string): LintResult {
  try {
    const output = run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-color'], path.dirname(tarball));
    return { ok: true, output: output.trim() };
  } catch (e) {
    return { ok: false, output: (e as Error).message };
  }
}
