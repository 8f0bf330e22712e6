/** The link check finds broken pages and missing assets, crawls pages only the JS sidebar links to, skips the rest. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { checkSiteLinks } from './link-check.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'db-linkcheck-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('reports broken links and missing assets with the page that has them', async () => {
  fs.mkdirSync(path.join(dir, 'documents'));
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    '<link rel="stylesheet" href="style.css"><script src="missing.js"></script>' +
      '<a href="documents/guide.html#part">guide</a> <a href="https://example.org/x">out</a>',
  );
  fs.writeFileSync(path.join(dir, 'style.css'), 'body {}');
  fs.writeFileSync(path.join(dir, 'documents', 'guide.html'), '<a href="../index.html">home</a> <a href="nope.html">bad</a>');
  // Reached by no link (as a page only the JS-built sidebar links to): still crawled, and its image is missing.
  fs.writeFileSync(path.join(dir, 'orphan.html'), '<img src="documents/pic.png">');

  const r = await checkSiteLinks(dir);
  expect(r.broken.map((b) => [b.url, b.status, b.parent]).sort()).toEqual([
    ['/documents/nope.html', 404, '/documents/guide.html'],
    ['/documents/pic.png', 404, '/orphan.html'],
    ['/missing.js', 404, '/'],
  ]);
  expect(r.pages).toEqual({ onDisk: 3, reachedByLinks: 2 });
  expect(r.external).toBe(1);
  expect(r.ok).toBe(r.checked - 3);
});

it('refuses a folder without a built site', async () => {
  await expect(checkSiteLinks(path.join(dir, 'documents'))).rejects.toThrow(/index.html not found: build the site first/);
});
