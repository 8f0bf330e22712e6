import { defineConfig } from 'vitest/config';
import { TFJS_NODE_BANNER } from './vitest.shared.ts';

// One project per workspace package; each package's tests sit next to its sources (src/*.test.ts).
// The `@db/source` condition makes `@db/*` imports resolve to TypeScript sources, so tests need no build.
// Per-project settings (conditions, timeouts) live in vitest.shared.ts: projects do not inherit this file's `test`.
export default defineConfig({
  resolve: { conditions: ['@db/source'] },
  ssr: { resolve: { conditions: ['@db/source'], externalConditions: ['@db/source'] } },
  test: {
    projects: ['packages/*', 'apps/*'],
    // tfjs is CPU-heavy and this machine has two cores: keep files from oversubscribing them.
    maxWorkers: 2,
    // TF.js' cpu-backend banner, once per test file: see TFJS_NODE_BANNER (a root run reads this, not the projects').
    onConsoleLog: (log) => (log.includes(TFJS_NODE_BANNER) ? false : undefined),
    // Under CI, also write a JSON report: .ci/run prints the plain 'N passed, N failed' closing line from it.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'node_modules/.vitest/results.json' },
  },
});
