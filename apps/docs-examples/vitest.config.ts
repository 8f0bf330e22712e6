import { packageProject } from '../../vitest.shared.ts';

// Each example is its own tsx process; two at a time on this project's two-core machines.
export default packageProject('docs-examples', { test: { maxConcurrency: 2 } });
