/**
 * Gradient overrides that stay in place whatever tfjs registers after them, and give way to a user's own gradient.
 *
 * tfjs keeps gradients in one process-wide map (tfjs-core kernel_registry.ts: `getGlobal('gradRegistry')`), and
 * `registerGradient` simply replaces the entry. Under Node the CommonJS bundles of `@tensorflow/tfjs`
 * (dist/tf.node.js) and `@tensorflow/tfjs-layers` (dist/tf-layers.node.js) each carry their own copy of every stock
 * gradient (tfjs-core's register_all_gradients) and register them all when first loaded. So
 * `import('@tensorflow/tfjs')` after `useFastestBackend()` put the stock FusedBatchNorm / Sum / Mean gradients back
 * over this package's (Tile and ones(x.shape) again on every BatchNorm: half the CustomNet training throughput,
 * issue 8 item 8).
 *
 * Here the registry map's own `set` is wrapped (an own property, so every copy of tfjs-core that calls
 * `gradRegistry.set` goes through it), and each later registration for an overridden kernel is sorted by where it
 * comes from (issue 19 item 3):
 * - **tfjs' own** (a bundle re-registering its stock gradients): it becomes the override's fallback (what ours
 *   delegates to for other backends and layouts) and ours stays the entry;
 * - **anything else** (user code, another library): it wins. It becomes the entry, and this package stops
 *   re-asserting its override for that kernel (a later `registerWasmTrainingKernels()` / `useFastestBackend()`
 *   leaves it alone, and a stock re-registration after it cannot undo it either). A user's guided-backprop Relu
 *   gradient therefore runs on every backend, and `isGradientOverridden(kernel)` turns false.
 *
 * tfjs' own registrations are recognised by two independent signs, either of which suffices:
 * 1. the call stack: every frame between `registerGradient` and the first frame outside tfjs' files is in tfjs'
 *    files (`@tensorflow/...`, `tfjs-core/src/...` under source maps) and that first outside frame, if any, is
 *    Node's module loader: a bundle evaluating its register_all_gradients. A user's call has their own file there.
 * 2. the burst: register_all_gradients registers ~105 gradients in one synchronous run, and the overridden
 *    kernels (FusedBatchNorm, Mean, Relu, Sum) come 39th or later in its list; a registration preceded by
 *    {@link BURST} or more others in the same synchronous run is a bundle's, whatever the stack shows (one-file
 *    browser bundles, where every frame is the same file).
 * A gradient a user registered *before* this package installs its overrides cannot be told from a stock one and
 * becomes the fallback; register yours after `useFastestBackend()` / `registerWasmTrainingKernels()`.
 * Nothing here runs per training step.
 */
import { getGradient, registerGradient, type GradConfig } from '@tensorflow/tfjs-core';

interface Override {
  /** Ours, marked with MARK. */
  config: GradConfig;
  /** The gradient ours replaced (and delegates to for what it does not handle); null until one is registered. */
  fallback: GradConfig | null;
  /** A gradient registered by user code after ours: it is the entry, and ours is not re-asserted. */
  yieldedTo: GradConfig | null;
}

interface State {
  overrides: Map<string, Override>;
  /** The registry map whose `set` is wrapped, or null if it could not be found (then overrides are plain). */
  hooked: Map<string, GradConfig> | null;
  /** Gradient registrations seen in the current synchronous run (reset by a microtask). */
  burst: number;
}

const MARK = Symbol.for('@db/backend.gradientOverride');
/** Process-wide, like the registry itself, so two copies of this module (ESM build and sources) share it. */
const STATE = Symbol.for('@db/backend.gradientOverrideState');
/**
 * Registrations in one synchronous run from which on a registration counts as a bundle's. tfjs-core's
 * register_all_gradients lists FusedBatchNorm 39th, Mean, Relu and Sum later; a user registering a few gradients
 * at start-up stays far below.
 */
export const BURST = 16;

/** Files of tfjs' own packages: npm layout, pnpm's store, and tfjs' source maps (`.../tfjs-core/src/...`). */
const TFJS_FILE = /[\\/]@tensorflow[\\/+]|[\\/]tfjs-(?:core|layers|converter|data|backend-[a-z]+)[\\/](?:src|dist)[\\/]/;
/** Frames of Node's module loader (what evaluates a bundle on require / import). */
const LOADER_FRAME = /\(node:|^\s*at node:|\bnode:internal\b/;

function isOurs(config: GradConfig | undefined): boolean {
  return config != null && (config as unknown as Record<symbol, boolean>)[MARK] === true;
}

/**
 * True when the stack of the current `gradRegistry.set` call shows tfjs registering its own gradients: after the
 * frames of this hook and of `registerGradient`, only tfjs' files until Node's module loader (or the stack's end).
 */
export function registeredByTfjs(stack: string | undefined): boolean {
  if (stack == null) return false;
  const frames = stack.split('\n').filter((l) => /^\s*at /.test(l));
  // frames[0] is the hook itself; the next ones are registerGradient (tfjs' file, or a user's wrapper of it).
  let sawTfjs = false;
  for (const frame of frames.slice(1)) {
    if (TFJS_FILE.test(frame)) {
      sawTfjs = true;
      continue;
    }
    if (!/[\\/]|https?:/.test(frame) && !LOADER_FRAME.test(frame)) continue; // native frames: "at Array.forEach (<anonymous>)"
    return sawTfjs && LOADER_FRAME.test(frame);
  }
  return sawTfjs;
}

/** tfjs-core's gradient registry map (tfjs-core global_util.ts keeps it in `globalThis._tfGlobals`). */
function gradRegistry(): Map<string, GradConfig> | null {
  const globals = (globalThis as unknown as { _tfGlobals?: Map<string, unknown> })._tfGlobals;
  const registry = globals?.get('gradRegistry');
  return registry instanceof Map ? (registry as Map<string, GradConfig>) : null;
}

function state(): State {
  const slots = globalThis as unknown as Record<symbol, State | undefined>;
  let s = slots[STATE];
  if (s == null) {
    s = { overrides: new Map(), hooked: null, burst: 0 };
    slots[STATE] = s;
  }
  const registry = gradRegistry();
  if (registry != null && s.hooked !== registry) {
    const set = registry.set;
    const st = s;
    registry.set = function (this: Map<string, GradConfig>, kernelName: string, config: GradConfig) {
      if (st.burst++ === 0) queueMicrotask(() => (st.burst = 0));
      const override = st.overrides.get(kernelName);
      if (override == null) return set.call(this, kernelName, config);
      if (isOurs(config)) {
        override.yieldedTo = null; // ours registered again explicitly: it is the entry, and re-asserted again
        return set.call(this, kernelName, config);
      }
      const byTfjs = st.burst > BURST || registeredByTfjs(new Error().stack);
      if (byTfjs) {
        // A stock copy: keep ours (or the user's gradient that replaced ours) as the entry.
        override.fallback = config;
        return set.call(this, kernelName, override.yieldedTo ?? override.config);
      }
      override.yieldedTo = config;
      return set.call(this, kernelName, config);
    };
    s.hooked = registry;
  }
  return s;
}

/**
 * Installs `make(fallback)` as the gradient of `kernelName`, where `fallback()` returns the gradient it replaced
 * (updated when tfjs registers another one later), and keeps it installed as described above. Idempotent: a second
 * call re-asserts the override made by the first (`make` is not called again), unless user code registered its own
 * gradient for the kernel since: that one stays.
 */
export function overrideGradient(kernelName: string, make: (fallback: () => GradConfig) => GradConfig): void {
  const s = state();
  let override = s.overrides.get(kernelName);
  if (override == null) {
    const created: Override = { config: null as unknown as GradConfig, fallback: null, yieldedTo: null };
    created.config = make(() => {
      if (created.fallback == null) throw new Error(`@db/backend: no gradient to fall back to for '${kernelName}'`);
      return created.fallback;
    });
    (created.config as unknown as Record<symbol, boolean>)[MARK] = true;
    s.overrides.set(kernelName, created);
    override = created;
  }
  if (override.yieldedTo != null) return;
  const current = getGradient(kernelName);
  if (isOurs(current)) return;
  // Not registered yet: the hook installs ours when the stock gradient arrives (without the hook, nothing to do).
  if (current == null) return;
  override.fallback = current;
  registerGradient(override.config);
}

/** True when the registered gradient of `kernelName` is one installed by {@link overrideGradient}. */
export function isGradientOverridden(kernelName: string): boolean {
  return isOurs(getGradient(kernelName));
}
