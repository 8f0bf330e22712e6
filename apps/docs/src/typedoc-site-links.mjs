// @ts-check
/**
 * A typedoc plugin for links from guides to pages of the site that typedoc does not generate (the visualiser,
 * bundled into docs/site/visualiser after typedoc runs). Typedoc treats every relative link in a guide as a file to
 * copy and warns when it is missing, so a guide writes such a link as `site:visualiser/index.html`; this plugin
 * rewrites it, on every rendered page, to a path relative to that page (pages sit at different depths).
 */
import { PageEvent } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.renderer.on(PageEvent.END, (page) => {
    if (page.contents == null) return;
    const depth = page.url.split('/').length - 1;
    const prefix = depth === 0 ? './' : '../'.repeat(depth);
    page.contents = page.contents.replaceAll('href="site:', `href="${prefix}`);
  });
}
