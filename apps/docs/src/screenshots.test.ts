/**
 * `pnpm docs:screenshots` must not overwrite the committed PNGs (issue 20, item 10): by default it writes to a folder
 * git ignores; only `--commit` (`pnpm docs:screenshots:commit`) writes docs/screenshots.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './site.js';
import { SCREENSHOT_DIR, screenshotDir } from './screenshots.js';

/** True when git ignores `file` (exit 0 of `git check-ignore`). */
function ignored(file: string): boolean {
  try {
    execFileSync('git', ['check-ignore', '-q', path.relative(ROOT, file)], { cwd: ROOT, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('docs screenshots output folder', () => {
  it('is a git-ignored folder by default, and docs/screenshots only with --commit', () => {
    const dir = screenshotDir([]);
    expect(ignored(path.join(dir, 'home.png'))).toBe(true);
    expect(screenshotDir(['--commit'])).toBe(SCREENSHOT_DIR);
    expect(SCREENSHOT_DIR).toBe(path.join(ROOT, 'docs', 'screenshots'));
    expect(ignored(path.join(SCREENSHOT_DIR, 'home.png'))).toBe(false);
    expect(screenshotDir(['--out', '/tmp/shots'])).toBe('/tmp/shots');
    expect(() => screenshotDir(['--comit'])).toThrow("unknown argument '--comit'; usage: docs:screenshots [--commit | --out DIR]");
  });
});
