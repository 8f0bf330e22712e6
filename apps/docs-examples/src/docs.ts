/**
 * Which Markdown files ship docs, and what their examples need: the files whose code blocks the tests run, the
 * packages a block imports, and the packages a README tells its reader to install.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Markdown files that ship docs, relative to the repository root, sorted: `README.md`, `packages/<name>/README.md`,
 * `apps/<name>/README.md` and every `docs/guides/**\/*.md` (guides are picked up as they are added).
 */
export function findDocFiles(root: string): string[] {
  const files: string[] = [];
  if (existsSync(join(root, 'README.md'))) files.push('README.md');
  for (const group of ['packages', 'apps']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(join(dir, entry.name, 'README.md'))) files.push(`${group}/${entry.name}/README.md`);
    }
  }
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith('.md')) files.push(path);
    }
  };
  if (existsSync(join(root, 'docs/guides'))) walk('docs/guides');
  return files.sort();
}

/** The package a bare module specifier names (`@scope/name/sub` -> `@scope/name`); null for relative, absolute and `node:` specifiers. */
export function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The packages a block of ES module code imports (static imports, re-exports, and `import('...')` with a literal). */
export function importedPackages(code: string): string[] {
  const found = new Set<string>();
  const patterns = [/\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) {
      const name = packageOf(match[1]);
      if (name) found.add(name);
    }
  }
  return [...found].sort();
}

/**
 * The packages a Markdown file tells its reader to install: the arguments of every `pnpm add` / `npm install` /
 * `yarn add` command in it (code blocks and inline code), without version ranges or flags.
 */
export function installedPackages(markdown: string): string[] {
  const found = new Set<string>();
  for (const match of markdown.matchAll(/\b(?:pnpm add|npm install|npm i|yarn add)\s+([^`\n#]+)/g)) {
    for (const arg of match[1].trim().split(/\s+/)) {
      if (arg.startsWith('-') || arg.startsWith('.') || arg.startsWith('/')) continue;
      const at = arg.indexOf('@', 1); // strip "@version" (not the scope's leading @)
      const name = at > 0 ? arg.slice(0, at) : arg;
      if (/^(@[\w.-]+\/)?[\w.-]+$/.test(name)) found.add(name);
    }
  }
  return [...found].sort();
}
