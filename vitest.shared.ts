import { defineProject, mergeConfig, type UserWorkspaceConfig } from 'vitest/config';

/**
 * The vitest settings every package shares: `@db/*` imports resolve to TypeScript sources through the
 * `@db/source` export condition (no build needed before testing), and tests sit next to their sources.
 */
export function packageProject(name: string, extra: UserWorkspaceConfig = {}) {
  return mergeConfig(
    defineProject({
      resolve: { conditions: ['@db/source', 'module', 'node', 'import', 'default'] },
      ssr: { resolve: { conditions: ['@db/source', 'module', 'node', 'import', 'default'] } },
      // Projects do not inherit the root config's timeouts: tfjs tests on two shared cores need more than 5 s.
      test: { name, include: ['src/**/*.test.ts'], environment: 'node', testTimeout: 60_000, hookTimeout: 60_000 },
    }),
    extra,
  );
}
