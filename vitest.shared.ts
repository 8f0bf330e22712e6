import { defineProject, mergeConfig, type UserWorkspaceConfig } from 'vitest/config';

/**
 * TF.js' cpu backend greets every process with "Hi, looks like you are running TensorFlow.js in Node.js ... install
 * our node backend" on its first tensor (tfjs-backend-cpu backend_cpu.ts, gated only by the IS_NODE flag), so a
 * test run printed it once per test file that touches the cpu backend. Only that banner is dropped here: tfjs'
 * own switches for it are wider (IS_TEST also turns on the engine's per-kernel memory-leak check,
 * engine.shouldCheckForMemLeaks; PROD silences every tfjs warning, deprecations included). Library code leaves it
 * alone: a user who ends up on the cpu backend is told something true (it is slow; tfjs-node is faster).
 */
export const TFJS_NODE_BANNER = 'Hi, looks like you are running TensorFlow.js in Node.js';

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
      test: { name, include: ['src/**/*.test.ts'], environment: 'node', testTimeout: 60_000, hookTimeout: 60_000,
        onConsoleLog: (log: string) => (log.includes(TFJS_NODE_BANNER) ? false : undefined),
      },
    }),
    extra,
  );
}
