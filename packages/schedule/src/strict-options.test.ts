/**
 * Every public options object of @db/schedule rejects a key it does not know, naming the nearest valid one
 * (issue 20, item 9): `linearSchedule({ target: 0.9, ramp_fraction: 0.5 })` used to ramp over all of training.
 */
import { describe, expect, it } from 'vitest';
import { DropBlockScheduler, cosineSchedule, linearSchedule, stepwiseSchedule } from './index.js';

describe('options objects of @db/schedule reject unknown keys', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['linearSchedule', () => linearSchedule({ target: 0.9, ramp_fraction: 0.5 } as never), /^linearSchedule options: unknown option 'ramp_fraction' \(did you mean 'rampFraction'\?\)/],
    ['cosineSchedule', () => cosineSchedule({ target: 0.9, strat: 1 } as never), /^cosineSchedule options: unknown option 'strat' \(did you mean 'start'\?\)/],
    ['stepwiseSchedule', () => stepwiseSchedule({ boundaries: [0.5], values: [1, 0.9], boundary: [0.5] } as never), /^stepwiseSchedule options: unknown option 'boundary' \(did you mean 'boundaries'\?\)/],
    ['DropBlockScheduler', () => new DropBlockScheduler({ schedule: linearSchedule({ target: 0.9 }), total_steps: 100 } as never), /^DropBlockScheduler options: unknown option 'total_steps' \(did you mean 'totalSteps'\?\)/],
  ];
  for (const [name, call, message] of cases) {
    it(name, () => {
      expect(call).toThrow(TypeError);
      expect(call).toThrow(message);
    });
  }

  it('still accepts every documented key', () => {
    expect(linearSchedule({ target: 0.9, start: 1, rampFraction: 0.5 })(1)).toBe(0.9);
    expect(cosineSchedule({ target: 0.8, start: 1, rampFraction: 1 })(1)).toBe(0.8);
    expect(stepwiseSchedule({ boundaries: [0.5], values: [1, 0.9] })(0.75)).toBe(0.9);
    const s = new DropBlockScheduler({
      schedule: linearSchedule({ target: 0.9 }),
      granularity: 'batch',
      totalSteps: 10,
      scale: { a: 1 },
      logKey: 'kp',
      onMissingLayers: 'ignore',
    });
    expect(s.granularity).toBe('batch');
  });
});
