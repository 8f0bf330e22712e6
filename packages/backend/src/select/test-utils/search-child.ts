/**
 * Child of quiet-search.test.ts: the README's first call, `await useFastestBackend()`, with nothing else, so that
 * everything it writes to stdout and stderr can be checked.
 */
import { useFastestBackend } from '../use-fastest-backend.js';

await useFastestBackend();
