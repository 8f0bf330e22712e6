/**
 * Checks every link and asset of the built site (docs/site) over HTTP: a 127.0.0.1 server of the folder, crawled
 * by linkinator from index.html. Every page, script, stylesheet, image and the visualiser's assets must answer 200;
 * links that leave the site (GitHub, papers) are listed as skipped, since the check must not need the internet.
 *
 * Usage: `pnpm docs:check-links` after `pnpm docs`. Prints the counts; exits 1 on any broken link.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LinkChecker, LinkState } from 'linkinator';
import { serveFolder } from '@db/visualiser/browser';
import { SITE_DIR } from './site.js';

/** What the crawl found. */
export interface LinkReport {
  /** Distinct URLs on the site (pages and the assets they load: scripts, stylesheets, images) that were fetched. */
  checked: number;
  /** Of those, the ones that answered 2xx. */
  ok: number;
  /** HTML pages in the folder, and how many of them the crawl reached (the sidebar is built by JS, so pages only
   * it links to are crawled from a second start list). */
  pages: { onDisk: number; reachedByLinks: number };
  /** Links that leave the site, not fetched. */
  external: number;
  /** Links that failed, with the page that has them. */
  broken: { url: string; status: number | undefined; parent: string | undefined }[];
}

function htmlFiles(dir: string, base = dir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return htmlFiles(p, base);
    return e.name.endsWith('.html') ? [path.relative(base, p).split(path.sep).join('/')] : [];
  });
}

/** Crawls the site in `dir` (default docs/site) from its root, then from any page the crawl did not reach. */
export async function checkSiteLinks(dir = SITE_DIR): Promise<LinkReport> {
  if (!fs.existsSync(path.join(dir, 'index.html'))) throw new Error(`${dir}/index.html not found: build the site first (pnpm run docs)`);
  const server = await serveFolder(dir);
  try {
    const origin = server.url.replace(/\/$/, '');
    const options = {
      recurse: true,
      concurrency: 8,
      timeout: 30_000,
      // Everything that is not on this server is external: skipped, so no internet is needed.
      linksToSkip: async (link: string) => !link.startsWith(origin),
    };
    // linkinator crawls only URLs under its start path, so start at the root (served as index.html).
    const first = await new LinkChecker().check({ ...options, path: server.url });
    const seen = new Set(first.links.map((l) => l.url.split('#')[0].replace(origin + '/', '')));
    const pages = htmlFiles(dir);
    const unreached = pages.filter((p) => !seen.has(p) && !(p.endsWith('index.html') && seen.has(p.slice(0, -'index.html'.length))));
    const links = [...first.links];
    if (unreached.length > 0) {
      const second = await new LinkChecker().check({ ...options, path: unreached.map((p) => `${server.url}${p}`) });
      links.push(...second.links);
    }
    const onSite = links.filter((l) => l.state !== LinkState.SKIPPED);
    return {
      checked: onSite.length,
      ok: onSite.filter((l) => l.state === LinkState.OK).length,
      pages: { onDisk: pages.length, reachedByLinks: pages.length - unreached.length },
      external: new Set(links.filter((l) => l.state === LinkState.SKIPPED).map((l) => l.url)).size,
      broken: onSite
        .filter((l) => l.state === LinkState.BROKEN)
        .map((l) => ({ url: l.url.replace(origin, ''), status: l.status, parent: l.parent?.replace(origin, '') })),
    };
  } finally {
    await server.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await checkSiteLinks();
  console.log(
    `link check: ${r.checked} URLs checked, ${r.ok} OK, ${r.broken.length} broken, ${r.external} external links skipped; ` +
      `${r.pages.onDisk} pages, ${r.pages.reachedByLinks} reached by links from the home page`,
  );
  for (const b of r.broken) console.log(`  broken: ${b.url} (${b.status ?? 'no answer'}) on ${b.parent ?? '?'}`);
  process.exitCode = r.broken.length === 0 ? 0 : 1;
}
