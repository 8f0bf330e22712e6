import { packageProject } from '../../vitest.shared.ts';

export default packageProject('visualiser', { test: { testTimeout: 180_000, hookTimeout: 180_000 } });
