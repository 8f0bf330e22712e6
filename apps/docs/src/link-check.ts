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
  /** Links checked on the site (pages and assets), each counted once per page that refers to it. */
  checked: number;
  /** Distinct URLs on the site that answered. */
  distinct: number;
  /** Links that leave the site, not fetched. */
  external: number;
  /** Links that failed, with the page that has them. */
  broken: { url: string; status: number | undefined; parent: string | undefined }[];
}

/** Crawls the site in `dir` (default docs/site) from its index.html. */
export async function checkSiteLinks(dir = SITE_DIR): Promise<LinkReport> {
  if (!fs.existsSync(path.join(dir, 'index.html'))) throw new Error(`${dir}/index.html not found: build the site first (pnpm docs)`);
  const server = await serveFolder(dir);
  try {
    const origin = server.url.replace(/\/$/, '');
    const result = await new LinkChecker().check({
      path: `${server.url}index.html`,
      recurse: true,
      concurrency: 8,
      timeout: 30_000,
      // Everything that is not on this server is external: skipped, so no internet is needed.
      linksToSkip: async (link: string) => !link.startsWith(origin),
    });
    const onSite = result.links.filter((l) => l.state !== LinkState.SKIPPED);
    return {
      checked: onSite.length,
      distinct: new Set(onSite.filter((l) => l.state === LinkState.OK).map((l) => l.url.split('#')[0])).size,
      external: new Set(result.links.filter((l) => l.state === LinkState.SKIPPED).map((l) => l.url)).size,
      broken: onSite.filter((l) => l.state === LinkState.BROKEN).map((l) => ({ url: l.url.replace(origin, ''), status: l.status, parent: l.parent?.replace(origin, '') })),
    };
  } finally {
    await server.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await checkSiteLinks();
  console.log(`link check: ${r.checked} links checked, ${r.distinct} distinct URLs OK, ${r.broken.length} broken, ${r.external} external skipped`);
  for (const b of r.broken) console.log(`  broken: ${b.url} (${b.status ?? 'no answer'}) on ${b.parent ?? '?'}`);
  process.exitCode = r.broken.length === 0 ? 0 : 1;
}
