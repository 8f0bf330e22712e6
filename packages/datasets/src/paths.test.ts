import { homedir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { downloadsAllowedByEnv, resolveCacheDir, resolveDataDir } from './paths.js';

describe('locations', () => {
  it('data directory: option, else DB_DATA_DIR, else none', () => {
    expect(resolveDataDir({ dataDir: '/a' }, { DB_DATA_DIR: '/b' })).toBe(path.resolve('/a'));
    expect(resolveDataDir({}, { DB_DATA_DIR: '/b' })).toBe(path.resolve('/b'));
    expect(resolveDataDir({}, {})).toBeUndefined();
  });

  it('cache: option, DB_CACHE_DIR, XDG_CACHE_HOME (absolute only, per the XDG spec), ~/.cache', () => {
    expect(resolveCacheDir({ cacheDir: '/c' }, { DB_CACHE_DIR: '/d', XDG_CACHE_HOME: '/x' })).toBe(path.resolve('/c'));
    expect(resolveCacheDir({}, { DB_CACHE_DIR: '/d', XDG_CACHE_HOME: '/x' })).toBe(path.resolve('/d'));
    expect(resolveCacheDir({}, { XDG_CACHE_HOME: '/x' })).toBe(path.join('/x', 'dropblock-tfjs'));
    expect(resolveCacheDir({}, { XDG_CACHE_HOME: 'relative' })).toBe(path.join(homedir(), '.cache', 'dropblock-tfjs'));
    expect(resolveCacheDir({}, {})).toBe(path.join(homedir(), '.cache', 'dropblock-tfjs'));
  });

  it('DB_OFFLINE turns downloads off unless empty, 0 or false', () => {
    expect([undefined, '', '0', 'false', 'FALSE'].map((v) => downloadsAllowedByEnv({ DB_OFFLINE: v }))).toEqual([true, true, true, true, true]);
    expect(['1', 'true', 'yes'].map((v) => downloadsAllowedByEnv({ DB_OFFLINE: v }))).toEqual([false, false, false]);
  });
});
