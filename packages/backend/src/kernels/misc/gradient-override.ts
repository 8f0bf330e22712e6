/**
 * Gradient overrides that stay in place whatever registers gradients after them.
 *
 * tfjs keeps gradients in one process-wide map (tfjs-core kernel_registry.ts: `getGlobal('gradRegistry')`), and
 * `registerGradient` simply replaces the entry. Under Node the CommonJS bundles of `@tensorflow/tfjs`
 * (dist/tf.node.js) and `@tensorflow/tfjs-layers` (dist/tf-layers.node.js) each carry their own copy of every stock
 * gradient (tfjs-core's register_all_gradients, inlined by their bundler) and register them all when first loaded.
 * So `import('@tensorflow/tfjs')` after `useFastestBackend()` put the stock FusedBatchNorm / Sum / Mean gradients
 * back over this package's (Tile and ones(x.shape) again on every BatchNorm: half the CustomNet training
 * throughput, issue 8 item 8), and `registerWasmTrainingKernels()` before any gradient was registered found nothing
 * to override.
 *
 * Here the registry map's own `set` is wrapped (an own property, so every copy of tfjs-core that calls
 * `gradRegistry.set` goes through it): while an override is installed for a kernel, a later registration of
 * anything else for that kernel becomes the override's fallback (what it runs for other backends and layouts) and
 * the override stays the entry. Nothing runs per training step. The override of a kernel whose gradient is not
 * registered yet is installed when one is.
 */
import { getGradient, registerGradient, type GradConfig } from '@tensorflow/tfjs-core';

interface Override {
  /** Ours, marked with MARK. */
  config: GradConfig;
  /** The gradient ours replaced (and delegates to for what it does not handle); null until one is registered. */
  fallback: GradConfig | null;
}

interface State {
  overrides: Map<string, Override>;
  /** The registry map whose `set` is wrapped, or null if it could not be found (then overrides are plain). */
  hooked: Map<string, GradConfig> | null;
}

const MARK = Symbol.for('@db/backend.gradientOverride');
/** Process-wide, like the registry itself, so two copies of this module (ESM build and sources) share it. */
const STATE = Symbol.for('@db/backend.gradientOverrideState');

function isOurs(config: GradConfig | undefined): boolean {
  return config != null && (config as unknown as Record<symbol, boolean>)[MARK] === true;
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
    s = { overrides: new Map(), hooked: null };
    slots[STATE] = s;
  }
  const registry = gradRegistry();
  if (registry != null && s.hooked !== registry) {
    const set = registry.set;
    const overrides = s.overrides;
    registry.set = function (this: Map<string, GradConfig>, kernelName: string, config: GradConfig) {
      const override = overrides.get(kernelName);
      if (override == null || isOurs(config)) return set.call(this, kernelName, config);
      override.fallback = config;
      return set.call(this, kernelName, override.config);
    };
    s.hooked = registry;
  }
  return s;
}

/**
 * Installs `make(fallback)` as the gradient of `kernelName`, where `fallback()` returns the gradient it replaced
 * (updated when something registers another one later), and keeps it installed as described above. Idempotent:
 * a second call re-asserts the override made by the first (`make` is not called again).
 */
export function overrideGradient(kernelName: string, make: (fallback: () => GradConfig) => GradConfig): void {
  const s = state();
  let override = s.overrides.get(kernelName);
  if (override == null) {
    const created: Override = { config: null as unknown as GradConfig, fallback: null };
    created.config = make(() => {
      if (created.fallback == null) throw new Error(`@db/backend: no gradient to fall back to for '${kernelName}'`);
      return created.fallback;
    });
    (created.config as unknown as Record<symbol, boolean>)[MARK] = true;
    s.overrides.set(kernelName, created);
    override = created;
  }
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
