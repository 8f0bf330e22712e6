/**
 * A consumer project outside the workspace: the packed tarballs installed with npm (as a user would install them
 * before the packages are on the registry), `@tensorflow/tfjs` beside them as the one TF.js of the app. npm
 * `overrides` pin every `@db/*` to its tarball, so a dependency between our packages can never be resolved from
 * the registry (where the `@db` scope belongs to someone else).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, run } from './workspace.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Creates the project and installs the tarballs; returns its folder. */
export function installConsumer(tarballs: Map<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'db-consumer-'));
  const rootPkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const files = Object.fromEntries([...tarballs].map(([name, file]) => [name, `file:${file}`]));
  const pkg = {
    name: 'db-consumer',
    private: true,
    type: 'module',
    dependencies: { ...files, '@tensorflow/tfjs': rootPkg.pnpm.overrides['@tensorflow/tfjs'] },
    devDependencies: { typescript: rootPkg.devDependencies.typescript, '@types/node': rootPkg.devDependencies['@types/node'] },
    overrides: { ...files, ...rootPkg.pnpm.overrides },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  for (const f of ['use-packages.mjs', 'use-packages.ts']) fs.copyFileSync(path.join(HERE, 'consumer', f), path.join(dir, f));
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
      files: ['use-packages.ts'],
    }),
  );
  // Optional dependencies (sharp's native builds, GPU backends) are left out: the packages must work without them.
  run('npm', ['install', '--no-audit', '--no-fund', '--omit=optional', '--loglevel=error'], dir);
  return dir;
}

/** Runs the consumer's ESM script and returns its JSON result line. */
export function runConsumerScript(dir: string): Record<string, unknown> {
  const out = run(process.execPath, ['use-packages.mjs'], dir, { ...process.env, DB_WASM_THREADS: '1' });
  const line = out.trim().split('\n').pop() ?? '';
  return JSON.parse(line);
}

/** Type-checks the consumer's TypeScript file against the installed declarations; returns tsc's output. */
export function typecheckConsumer(dir: string): string {
  return run(path.join(dir, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], dir);
}
