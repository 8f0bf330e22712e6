import { packageProject } from '../../vitest.shared.ts';

// RetinaNet training steps take seconds each on two shared cores.
export default packageProject('detection', { test: { testTimeout: 120_000, hookTimeout: 60_000 } });
