import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { LOCATION_OPTION_KEYS, assertKnownOptions } from './option-keys.js';

/** Options every loader takes to find its files. */
export interface LocationOptions {
  /**
   * A folder holding datasets in their publishers' layouts (see the package README). Default: the
   * `DB_DATA_DIR` environment variable; no data directory when neither is set.
   */
  dataDir?: string;
  /**
   * Where downloads are kept. Default: `DB_CACHE_DIR`, else `$XDG_CACHE_HOME/dropblock-tfjs`, else
   * `~/.cache/dropblock-tfjs`.
   */
  cacheDir?: string;
}

/** Name of the cache folder under `XDG_CACHE_HOME` / `~/.cache`. */
export const CACHE_NAME = 'dropblock-tfjs';

/** The data directory from the option, else `DB_DATA_DIR`, else `undefined`. */
export function resolveDataDir(options: LocationOptions = {}, env: NodeJS.ProcessEnv = process.env): string | undefined {
  assertKnownOptions(options, LOCATION_OPTION_KEYS, 'location options');
  return dataDirOf(options, env);
}

/**
 * {@link resolveDataDir} for the loaders, whose options (already checked) hold more than the location.
 * @internal
 */
export function dataDirOf(options: LocationOptions, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = options.dataDir ?? (env.DB_DATA_DIR || undefined);
  return dir === undefined ? undefined : path.resolve(dir);
}

/**
 * The cache directory: option, `DB_CACHE_DIR`, `$XDG_CACHE_HOME/dropblock-tfjs` (the XDG Base Directory
 * specification's place for non-essential cached data), `~/.cache/dropblock-tfjs`.
 */
export function resolveCacheDir(options: LocationOptions = {}, env: NodeJS.ProcessEnv = process.env): string {
  assertKnownOptions(options, LOCATION_OPTION_KEYS, 'location options');
  return cacheDirOf(options, env);
}

/**
 * {@link resolveCacheDir} for the loaders, whose options (already checked) hold more than the location.
 * @internal
 */
export function cacheDirOf(options: LocationOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (options.cacheDir) return path.resolve(options.cacheDir);
  if (env.DB_CACHE_DIR) return path.resolve(env.DB_CACHE_DIR);
  // XDG says a relative XDG_CACHE_HOME is invalid and must be ignored.
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) return path.join(env.XDG_CACHE_HOME, CACHE_NAME);
  return path.join(homedir(), '.cache', CACHE_NAME);
}

/** True unless `DB_OFFLINE` is set to something other than `0`/`false`/empty. */
export function downloadsAllowedByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.DB_OFFLINE;
  return v === undefined || v === '' || v === '0' || v.toLowerCase() === 'false';
}

/**
 * Why an explicitly given `dataDir` option cannot be used (it does not exist or is not a folder), else undefined.
 * A typo in an explicit data directory must fail loudly rather than fall through to the cache and a download; a
 * `DB_DATA_DIR` from the environment is only a default and is not checked.
 */
export function explicitDataDirProblem(options: LocationOptions = {}): string | undefined {
  if (options.dataDir === undefined) return undefined;
  const dir = path.resolve(options.dataDir);
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    return `data directory ${dir} (dataDir option): does not exist`;
  }
  return isDir ? undefined : `data directory ${dir} (dataDir option): not a folder`;
}
