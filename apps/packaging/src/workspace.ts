/**
 * The workspace's publishable packages and how they are packed: `pnpm pack` (not `npm pack`), because pnpm turns
 * `workspace:^` ranges into versions and applies `publishConfig` overrides (the `exports` map without the
 * `@db/source` condition), exactly as `pnpm publish` will.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo's root folder. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A package that `changeset publish` would publish. */
export interface Publishable {
  name: string;
  version: string;
  dir: string;
}

/** Every non-private package under packages/, in folder order. */
export function publishablePackages(): Publishable[] {
  const base = path.join(ROOT, 'packages');
  return fs
    .readdirSync(base)
    .sort()
    .map((d) => path.join(base, d))
    .filter((dir) => fs.existsSync(path.join(dir, 'package.json')))
    .map((dir) => ({ dir, pkg: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) }))
    .filter(({ pkg }) => pkg.private !== true)
    .map(({ dir, pkg }) => ({ name: pkg.name as string, version: pkg.version as string, dir }));
}

/** Runs a command, returning stdout; on failure the error carries the command's stderr and stdout. */
export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${err.stderr ?? ''}\n${err.stdout ?? ''}`.trim());
  }
}

/**
 * Packs every publishable package into `outDir` and returns the tarball paths by package name. Each package's
 * `prepack` script builds it (and, through turbo, what it depends on), so this works on a fresh clone.
 */
export function packAll(outDir: string): Map<string, string> {
  fs.mkdirSync(outDir, { recursive: true });
  const tarballs = new Map<string, string>();
  for (const p of publishablePackages()) {
    const out = run('pnpm', ['pack', '--pack-destination', outDir], p.dir);
    const file = out
      .trim()
      .split('\n')
      .map((l) => l.trim())
      .reverse()
      .find((l) => l.endsWith('.tgz'));
    if (file == null || !fs.existsSync(file)) throw new Error(`pnpm pack printed no tarball for ${p.name}:\n${out}`);
    tarballs.set(p.name, file);
  }
  return tarballs;
}

/** The files inside a tarball (paths without the leading `package/`). */
export function tarballFiles(tarball: string): string[] {
  return run('tar', ['-tzf', tarball], path.dirname(tarball))
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.replace(/^package\//, ''));
}

/** One file of a tarball, by its path inside the package. */
export function tarballMember(tarball: string, file: string): string {
  return run('tar', ['-xzOf', tarball, `package/${file}`], path.dirname(tarball));
}

/** The package.json inside a tarball, as `pnpm publish` would upload it. */
export function tarballManifest(tarball: string): Record<string, unknown> {
  return JSON.parse(tarballMember(tarball, 'package.json'));
}
