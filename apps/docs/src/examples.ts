/**
 * The code examples of the package entry pages, extracted so that tests can type-check and run them: the
 * `@example` of each package's entry point (the `@packageDocumentation` comment of packages/<name>/src/index.ts,
 * shown on the package's page of the site). The guides' and READMEs' examples run in apps/docs-examples.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './site.js';

/** One example: where it is and its code. */
export interface DocExample {
  /** A file-name-safe id, e.g. `03-adding-dropblock-2` or `package-core`. */
  id: string;
  /** Where it comes from, for messages: `docs/guides/03-adding-dropblock.md:42`. */
  source: string;
  /** The TypeScript code. */
  code: string;
}

/** The `@example` ```ts block of a package's `@packageDocumentation` comment, if any. */
export function packageExample(indexSource: string): string | null {
  const comment = /\/\*\*([\s\S]*?)\*\//.exec(indexSource)?.[1];
  if (comment == null || !comment.includes('@packageDocumentation')) return null;
  const text = comment
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''))
    .join('\n');
  const at = text.indexOf('@example');
  if (at < 0) return null;
  // The first ```ts fence after the tag (Markdown files' blocks are apps/docs-examples' extractExamples' job).
  const block = /^```(?:ts|typescript)[ \t]*\n([\s\S]*?)^```[ \t]*$/m.exec(text.slice(at));
  return block ? block[1] : null;
}

/** Every package entry point's example. */
export function collectExamples(root = ROOT): DocExample[] {
  // The guides' and READMEs' blocks run in apps/docs-examples (with its markers and Markdown line numbers); here,
  // the package entry pages' `@example`s, which live in doc comments that harness does not read.
  const out: DocExample[] = [];
  const packages = path.join(root, 'packages');
  for (const name of fs.readdirSync(packages).sort()) {
    const index = path.join(packages, name, 'src', 'index.ts');
    if (!fs.existsSync(index)) continue;
    const code = packageExample(fs.readFileSync(index, 'utf8'));
    if (code != null) out.push({ id: `package-${name}`, source: `packages/${name}/src/index.ts`, code });
  }
  return out;
}
