import { packageProject } from '../../vitest.shared.ts';

// The examples load TF.js and train tiny models for a few steps; under load on two shared cores that takes time.
export default packageProject('docs', { test: { testTimeout: 180_000, hookTimeout: 180_000 } });
