/** keras-io RetinaNet's learning rates (`PiecewiseConstantDecay` values), for batch size 2. */
export const KERAS_IO_LEARNING_RATES: readonly number[] = [2.5e-6, 0.000625, 0.00125, 0.0025, 0.00025, 2.5e-5];
/** keras-io RetinaNet's step boundaries between those rates. */
export const KERAS_IO_LR_BOUNDARIES: readonly number[] = [125, 250, 500, 240000, 360000];

/**
 * A piecewise-constant schedule as `tf.keras.optimizers.schedules.PiecewiseConstantDecay`: `values[0]` while
 * step <= boundaries[0], `values[i]` while boundaries[i-1] < step <= boundaries[i], the last value afterwards.
 */
export function piecewiseConstant(boundaries: readonly number[], values: readonly number[]): (step: number) => number {
  if (values.length !== boundaries.length + 1) {
    throw new RangeError(`values must have one more entry than boundaries, got ${values.length} and ${boundaries.length}`);
  }
  boundaries.forEach((b, i) => {
    if (!Number.isFinite(b) || (i > 0 && b <= boundaries[i - 1])) throw new RangeError(`boundaries must increase, got ${JSON.stringify(boundaries)}`);
  });
  values.forEach((v) => {
    if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`values must be positive learning rates, got ${JSON.stringify(values)}`);
  });
  return (step: number) => {
    let i = 0;
    while (i < boundaries.length && step > boundaries[i]) i++;
    return values[i];
  };
}

/**
 * keras-io RetinaNet's learning rate at a step: a 125-step warm-up at 2.5e-6, then 6.25e-4, 1.25e-3 and 2.5e-3
 * (from step 500), dropping tenfold at 240k and 360k steps. `timeScale` multiplies the boundaries, so a short run
 * can go through the same shape (e.g. 0.05: warm-up over the first 6 steps, full rate from step 25).
 */
export function kerasIoLearningRate(timeScale = 1): (step: number) => number {
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new RangeError(`timeScale must be a positive number, got ${timeScale}`);
  return piecewiseConstant(
    KERAS_IO_LR_BOUNDARIES.map((b) => b * timeScale),
    KERAS_IO_LEARNING_RATES,
  );
}
