import { packageProject } from '../../vitest.shared.ts';

// Training steps of the report's conv nets take seconds each on two shared cores.
export default packageProject('models', { test: { testTimeout: 120_000, hookTimeout: 60_000 } });
