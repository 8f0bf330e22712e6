export { useFastestBackend, oneLineReason, type UseFastestBackendOptions, type BackendChoice, type SkippedBackend } from './use-fastest-backend.js';
export {
  BACKEND_ORDER,
  BACKEND_ALIASES,
  BACKEND_PACKAGE,
  TFJS_BACKEND_NAME,
  parseBackendName,
  type BackendCandidate,
} from './candidates.js';
