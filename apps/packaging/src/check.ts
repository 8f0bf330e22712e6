/**
 * `pnpm check:packages`: packs every publishable package and prints what publint and attw say of each tarball,
 * plus its size and file count. Exits non-zero when any check fails. The same checks run in the tests.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { attw, publint } from './lint.js';
import { packAll, tarballFiles } from './workspace.js';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'db-packs-'));
console.log(`Packing every publishable package into ${out} (each prepack builds it first) ...`);
let failed = 0;
for (const [name, tarball] of packAll(out)) {
  const files = tarballFiles(tarball);
  const kb = (fs.statSync(tarball).size / 1024).toFixed(1);
  const p = publint(tarball);
  const a = attw(tarball);
  if (!p.ok || !a.ok) failed++;
  console.log(`\n${name}: ${path.basename(tarball)}, ${kb} KiB, ${files.length} files`);
  console.log(`  publint: ${p.ok ? 'pass' : 'FAIL'}${p.ok ? '' : `\n${p.output}`}`);
  console.log(`  attw (esm-only): ${a.ok ? 'pass' : 'FAIL'}${a.ok ? '' : `\n${a.output}`}`);
}
console.log(failed === 0 ? '\nEvery package passes publint and attw.' : `\n${failed} package(s) failed a check.`);
process.exitCode = failed === 0 ? 0 : 1;
