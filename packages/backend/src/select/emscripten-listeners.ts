/**
 * Emscripten's Node glue (NODEJS_CATCH_EXIT, in both wasm binaries tfjs-backend-wasm ships) installs, when a module
 * is instantiated,
 *   process.on('uncaughtException', ex => { if (!(ex instanceof ExitStatus)) throw ex });
 *   process.on('unhandledRejection', reason => { throw reason });
 * Rethrowing from a listener makes Node report every uncaught error of the user's program at the rethrow site:
 * it prints that source line first (the glue is minified into one line: 55 KB for the threaded binary, 39 KB for
 * the single-threaded one) and exits with code 7 instead of 1 (issue 8, item 9). The listeners only serve
 * Emscripten's exit(), which tfjs never calls, so they are removed right after the backend starts.
 */
type Listener = (...args: unknown[]) => void;
type ProcessEvent = 'uncaughtException' | 'unhandledRejection';
const EVENTS: ProcessEvent[] = ['uncaughtException', 'unhandledRejection'];

/** Emscripten's two listeners, by their source (minified or not): a body that only rethrows its argument. */
const RETHROW = /^function\s*\((\w+)\)\s*\{\s*(if\s*\(\s*!\s*\(\s*\1\s+instanceof\s+ExitStatus\s*\)\s*\)\s*\{\s*)?throw\s+\1;?\s*\}?\s*\}$/;

/** The process's listeners of each event now. */
export function processListeners(): Map<ProcessEvent, Listener[]> {
  // An event union selects no overload of listeners(): go through the plain string signature.
  const events = process as unknown as { listeners(event: string): Listener[] };
  return new Map(EVENTS.map((e) => [e, events.listeners(e)]));
}

/**
 * Removes the listeners added since `before` that are Emscripten's rethrowing ones (others, e.g. the user's own,
 * stay). Returns how many it removed.
 */
export function removeEmscriptenListenersSince(before: Map<ProcessEvent, Listener[]>): number {
  let removed = 0;
  const now = processListeners();
  for (const event of EVENTS) {
    const old = new Set(before.get(event));
    for (const listener of now.get(event) ?? []) {
      if (old.has(listener) || !RETHROW.test(String(listener).trim())) continue;
      process.removeListener(event, listener);
      removed++;
    }
  }
  return removed;
}
