#!/usr/bin/env node
// The `coco-eval` bin. pnpm links a workspace package's bins at install time, before any build, so a bin pointing
// straight at dist/cli/coco-eval.js was missing on a fresh clone ("Failed to create bin ... ENOENT"). This committed
// file always exists and runs the built CLI; unbuilt, it says how to build or how to run the source.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/coco-eval.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write(
    'coco-eval: @db/detection is not built (no dist/cli/coco-eval.js): run `pnpm --filter @db/detection build`, ' +
      'or run the source with `node --import tsx packages/detection/src/cli/coco-eval.ts`\n',
  );
  process.exitCode = 2;
}
