/**
 * A keepProb schedule: maps training progress (the fraction of training done, in [0, 1]; 0 at the first step,
 * 1 at the last) to the keepProb DropBlock uses at that point. Plain functions, so they can be plotted, composed,
 * tested and used outside tfjs; {@link DropBlockScheduler} calls one at every batch or epoch.
 *
 * Turn a step or epoch index into progress with {@link trainingProgress}.
 */
export type KeepProbSchedule = (progress: number) => number;
