/**
 * A backward pass that frees as it goes (issue 19 item 1).
 *
 * Every gradient in tfjs goes through one method, `engine().gradients(f, xs, dy, allowNoGradients)` (tfjs-core
 * engine.ts): tf.grad / grads / valueAndGrad(s), tf.variableGrads, hence `optimizer.minimize`, hence tfjs-layers'
 * `model.fit` / `fitDataset` / `trainOnBatch`. It runs `f` with the tape on, then tape.ts's
 * `backpropagateGradients` walks the tape backwards inside one `tidy('backward')`, and only when that tidy ends are
 * (a) the gradients of all the intermediate activations disposed (the tidy) and (b) the tensors each node saved for
 * its gradient (`engine.keep(clone(x))`, which holds x's buffer) disposed (a loop over the tape afterwards). So the
 * step's peak holds every activation and every activation gradient at once, and an exception during the backward
 * pass leaks every saved tensor (the loop is never reached).
 *
 * tfjs has no public hook inside the backward walk (`backpropagateGradients` is a module function the engine calls
 * directly), so this module replaces the method on the engine singleton (`getGlobal('_tfengine')`, shared by every
 * copy of tfjs-core in the process): an own property `gradients` on that instance, which every entry point above
 * calls as `ENGINE.gradients(...)`. It does what the stock method does, in the same order, with the same kernels
 * (so the gradients are bit-identical: the same dx thunks run in the same order on the same inputs, and
 * accumulation is the same `add(current, dx)` in the same order), and frees as it goes:
 * - the gradient of an activation is disposed as soon as the node that produced the activation has run its
 *   gradient: every consumer of the activation comes later in the tape, so by then all of them have added their
 *   contribution and nothing reads it again (the gradients of `xs` and the caller's `dy` are never disposed);
 * - a node's saved tensors (the tape's own clones, never the caller's tensors, which the clone only shares a buffer
 *   with) are disposed right after its gradient has run, unless a gradient is being taken of this gradient
 *   (`gradientDepth > 0`: an outer tape may still need them, as upstream assumes);
 * - a tensor object that is still some tensor's accumulated gradient (a gradient function may hand back its `dy`
 *   or a saved tensor itself) is never disposed early;
 * - on an exception the saved tensors are disposed and the tape reset all the same (try/finally).
 * Nothing else changes: nodes are filtered exactly as upstream's getFilteredNodesXToY does (the pruned copies keep
 * only the inputs reachable from xs), the same errors are thrown for the same cases.
 *
 * Installed by {@link setLeanGradientsEnabled} (registerWasmTrainingKernels / useFastestBackend call it).
 */
import { engine, ones, add as addOp, util, Tensor } from '@tensorflow/tfjs-core';

/** The fields of tfjs-core's tape node used here (tape.ts TapeNode). */
interface TapeNode {
  id: number;
  kernelName: string;
  outputs: Tensor[];
  inputs: Record<string, Tensor>;
  gradient?: (dys: (Tensor | null)[]) => Record<string, () => Tensor>;
  saved?: Tensor[];
}

/** The fields of tfjs-core's Engine used here (engine.ts). */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<R>(start: () => void, end: () => void, f: () => R): R;
  startTape(): void;
  endTape(): void;
  tidy<T>(nameOrFn: string | (() => T), fn?: () => T): T;
  gradients: GradientsFn;
}

type GradientsFn = (
  f: () => Tensor,
  xs: Tensor[],
  dy?: Tensor | null,
  allowNoGradients?: boolean,
) => { value: Tensor; grads: (Tensor | undefined)[] };

/**
 * The nodes of `tape` on a path from some x in `xs` to `y`, in tape order, each a copy whose inputs keep only those
 * computed from `xs` (what upstream's tape.ts getFilteredNodesXToY returns, so the walk below sees the same nodes).
 */
export function nodesFromXsToY(tape: TapeNode[], xs: Tensor[], y: Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodeFromX = new Set<number>();
  for (const node of tape) {
    for (const name in node.inputs) {
      if (fromX.has(node.inputs[name].id)) {
        for (const o of node.outputs) fromX.add(o.id);
        nodeFromX.add(node.id);
        break;
      }
    }
  }
  const toY = new Set<number>([y.id]);
  const nodeToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => toY.has(o.id))) {
      for (const name in node.inputs) {
        toY.add(node.inputs[name].id);
        nodeToY.add(node.id);
      }
    }
  }
  const filtered: TapeNode[] = [];
  for (const node of tape) {
    if (!nodeFromX.has(node.id) || !nodeToY.has(node.id)) continue;
    const inputs: Record<string, Tensor> = {};
    for (const name in node.inputs) if (fromX.has(node.inputs[name].id)) inputs[name] = node.inputs[name];
    filtered.push({ ...node, inputs, outputs: node.outputs });
  }
  return filtered;
}

/** Counts of the maps' tensor objects, so an object stored under two ids (or returned twice) is not freed. */
class GradientMap {
  private readonly byId = new Map<number, Tensor>();
  private readonly refs = new Map<Tensor, number>();

  get(id: number): Tensor | undefined {
    return this.byId.get(id);
  }

  set(id: number, t: Tensor): void {
    const old = this.byId.get(id);
    if (old != null) this.unref(old);
    this.byId.set(id, t);
    this.refs.set(t, (this.refs.get(t) ?? 0) + 1);
  }

  /** Removes the entry of `id`; returns its tensor if no other entry holds the same object. */
  take(id: number): Tensor | undefined {
    const t = this.byId.get(id);
    if (t == null) return undefined;
    this.byId.delete(id);
    return this.unref(t) ? t : undefined;
  }

  holds(t: Tensor): boolean {
    return (this.refs.get(t) ?? 0) > 0;
  }

  private unref(t: Tensor): boolean {
    const n = (this.refs.get(t) ?? 0) - 1;
    if (n > 0) {
      this.refs.set(t, n);
      return false;
    }
    this.refs.delete(t);
    return true;
  }
}

function disposeSaved(node: TapeNode, keep: (t: Tensor) => boolean): void {
  if (node.saved == null) return;
  for (const t of node.saved) if (t != null && !keep(t)) t.dispose();
}

/** `engine.gradients` that frees as it goes (see the module comment). `this` is the engine. */
function leanGradients(
  this: EngineInternals,
  f: () => Tensor,
  xs: Tensor[],
  dy?: Tensor | null,
  allowNoGradients = false,
): { value: Tensor; grads: (Tensor | undefined)[] } {
  util.assert(xs.length > 0, () => 'gradients() received an empty list of xs.');
  if (dy != null && dy.dtype !== 'float32') {
    throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
  }
  const y = this.scopedRun(
    () => this.startTape(),
    () => this.endTape(),
    () => this.tidy('forward', f),
  );
  util.assert(y instanceof Tensor, () => 'The result y returned by f() must be a tensor.');
  const tape = this.state.activeTape ?? [];
  // Same depth test as upstream's clean-up: at 0 no outer tape is recording, so saved tensors serve only this pass.
  const outermost = this.state.gradientDepth === 0;
  const cleanUp = () => {
    if (!outermost) return;
    for (const node of tape) disposeSaved(node, () => false);
    this.state.activeTape = null;
  };
  try {
    const filtered = nodesFromXsToY(tape, xs, y);
    if (!allowNoGradients && filtered.length === 0 && xs.length > 0) {
      throw new Error(
        'Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all ' +
          'operations that lead from x to y.',
      );
    }
    const result = this.tidy('backward', () => {
      const grads = new GradientMap();
      const keepIds = new Set<number>(xs.map((x) => x.id));
      const seed = dy == null ? ones(y.shape) : dy;
      grads.set(y.id, seed);
      for (let i = filtered.length - 1; i >= 0; i--) {
        const node = filtered[i];
        const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
        if (node.gradient == null) {
          throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
        }
        const inputGradients = node.gradient(dys);
        for (const inputName in node.inputs) {
          if (!(inputName in inputGradients)) {
            throw new Error(
              `Cannot backprop through input ${inputName}. Available gradients found: ${Object.keys(inputGradients)}.`,
            );
          }
          const dx = this.tidy(() => inputGradients[inputName]());
          if (dx.dtype !== 'float32') {
            throw new Error(
              `Error in gradient for op ${node.kernelName}. The gradient of input ${inputName} must have 'float32' ` +
                `dtype, but has '${dx.dtype}'`,
            );
          }
          const x = node.inputs[inputName];
          if (!util.arraysEqual(dx.shape, x.shape)) {
            throw new Error(
              `Error in gradient for op ${node.kernelName}. The gradient of input '${inputName}' has shape ` +
                `'${dx.shape}', which does not match the shape of the input '${x.shape}'`,
            );
          }
          const current = grads.get(x.id);
          if (current == null) {
            grads.set(x.id, dx);
          } else {
            grads.set(x.id, addOp(current, dx));
            if (!grads.holds(current) && current !== dy) current.dispose();
          }
        }
        // Every consumer of this node's outputs came later in the tape and has run: their gradients are done.
        for (const o of node.outputs) {
          if (keepIds.has(o.id)) continue;
          const g = grads.take(o.id);
          if (g != null && g !== dy) g.dispose();
        }
        if (outermost) disposeSaved(node, (t) => grads.holds(t));
      }
      return { value: y, grads: xs.map((x) => grads.get(x.id)) };
    });
    return result;
  } finally {
    cleanUp();
  }
}

const STOCK = Symbol.for('@db/backend.stockGradients');

/**
 * Installs (`on`, the default) or removes the memory-lean backward pass on the engine (see the module comment).
 * Idempotent.
 */
export function setLeanGradientsEnabled(on = true): void {
  const e = engine() as unknown as Record<string | symbol, unknown>;
  const stock = e[STOCK] as { own: boolean; fn: unknown } | undefined;
  if (on && stock == null) {
    e[STOCK] = { own: Object.prototype.hasOwnProperty.call(e, 'gradients'), fn: e.gradients };
    e.gradients = leanGradients;
  } else if (!on && stock != null) {
    if (stock.own) e.gradients = stock.fn;
    else delete e.gradients;
    delete e[STOCK];
  }
}

/** True while the lean backward pass is installed. */
export function leanGradientsEnabled(): boolean {
  return (engine() as unknown as Record<symbol, unknown>)[STOCK] != null;
}
