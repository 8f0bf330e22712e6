import { packageProject } from '../../vitest.shared.ts';

// Building, packing and an npm install of the tarballs take a minute or two on two shared cores.
export default packageProject('packaging', { test: { testTimeout: 600_000, hookTimeout: 600_000 } });
