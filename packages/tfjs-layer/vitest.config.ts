import { packageProject } from '../../vitest.shared.ts';

export default packageProject('tfjs-layer');
