import { describe, expect, it } from 'vitest';
import { processListeners, removeEmscriptenListenersSince } from './emscripten-listeners.js';

describe('removeEmscriptenListenersSince', () => {
  it("removes only Emscripten's rethrowing listeners added after the snapshot, minified or formatted", () => {
    const before = processListeners();
    // The glue's own sources (threaded binary: minified; upstream's node bundle: formatted), built as functions.
    const minified = new Function('ExitStatus', 'return function(ex){if(!(ex instanceof ExitStatus)){throw ex}}')(class {});
    const formatted = new Function('return function (reason) { throw reason; }')();
    const users = (error: unknown) => void error;
    process.on('uncaughtException', minified);
    process.on('unhandledRejection', formatted);
    process.on('uncaughtException', users);
    try {
      expect(removeEmscriptenListenersSince(before)).toBe(2);
      expect(process.listeners('uncaughtException')).toContain(users);
      expect(process.listeners('uncaughtException')).not.toContain(minified);
      expect(process.listeners('unhandledRejection')).not.toContain(formatted);
      // Those present before the snapshot are never touched.
      expect(process.listeners('uncaughtException').length).toBe(before.get('uncaughtException')!.length + 1);
    } finally {
      process.removeListener('uncaughtException', users);
      process.removeListener('uncaughtException', minified);
      process.removeListener('unhandledRejection', formatted);
    }
  });
});
