import { describe, expect, it } from 'vitest';
import { createRng, drawBernoulliSeeds } from '../index.js';

describe('drawBernoulliSeeds (geometric gaps)', () => {
  it('draws Binomial(count, gamma) successes, uniformly spread, in increasing order', () => {
    const rng = createRng(5);
    const gamma = 0.013;
    const count = 50_000;
    const trials = 40;
    const perPosition = new Float64Array(10); // successes by index mod 10
    let total = 0;
    let disorder = 0;
    for (let t = 0; t < trials; t++) {
      let last = -1;
      total += drawBernoulliSeeds(rng, gamma, count, (i) => {
        if (!(i > last && i < count)) disorder++;
        last = i;
        perPosition[i % 10]++;
      });
    }
    expect(disorder).toBe(0);
    const mean = count * trials * gamma;
    const sd = Math.sqrt(count * trials * gamma * (1 - gamma));
    expect(Math.abs(total - mean)).toBeLessThan(5 * sd);
    for (const c of perPosition) expect(Math.abs(c - mean / 10)).toBeLessThan(5 * Math.sqrt(mean / 10));
  });

  it('gives independent trials: adjacent-pair frequency is gamma^2', () => {
    const rng = createRng(11);
    const gamma = 0.2;
    const count = 200_000;
    const hit = new Uint8Array(count);
    drawBernoulliSeeds(rng, gamma, count, (i) => (hit[i] = 1));
    let pairs = 0;
    for (let i = 1; i < count; i++) pairs += hit[i] & hit[i - 1];
    const expected = (count - 1) * gamma * gamma;
    expect(Math.abs(pairs - expected)).toBeLessThan(5 * Math.sqrt(expected));
  });

  it('handles gamma 0 and 1 exactly and rejects gamma outside [0, 1]', () => {
    const rng = createRng(1);
    expect(drawBernoulliSeeds(rng, 0, 100, () => undefined)).toBe(0);
    const all: number[] = [];
    expect(drawBernoulliSeeds(rng, 1, 5, (i) => all.push(i))).toBe(5);
    expect(all).toEqual([0, 1, 2, 3, 4]);
    expect(() => drawBernoulliSeeds(rng, 1.2, 5, () => undefined)).toThrow(/gamma/);
  });
});
