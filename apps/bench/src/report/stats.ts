/**
 * The statistics the verdicts use: mean, sample standard deviation, Welch's unequal-variance t-test and the TOST
 * equivalence test built on it. The Student-t tail comes from the regularised incomplete beta function,
 * I_x(a, b), evaluated by its continued fraction (modified Lentz method), with ln Gamma from the Lanczos
 * approximation (g = 7, 9 coefficients).
 */

/** Arithmetic mean (NaN for no values). */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n - 1 in the denominator); NaN below 2 values. */
export function sampleSd(values: readonly number[]): number {
  if (values.length < 2) return NaN;
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Gamma(x) for x > 0. */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-14) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b), 0 <= x <= 1. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) otherwise.
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(x, a, b)) / a : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(T > t) for Student's t with `df` degrees of freedom. */
export function studentTUpper(t: number, df: number): number {
  if (t === Infinity) return 0;
  if (t === -Infinity) return 1;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

/** Result of {@link welchTest}. */
export interface WelchResult {
  /** mean(a) - mean(b). */
  difference: number;
  /** Standard error of the difference. */
  se: number;
  /** Welch-Satterthwaite degrees of freedom. */
  df: number;
  /** t statistic. */
  t: number;
  /** Two-sided p-value. */
  p: number;
}

/**
 * Welch's t-test of mean(a) = mean(b), two-sided, for samples of at least 2 values each. When both samples have no
 * spread, equal means give p = 1 and different means p = 0.
 */
export function welchTest(a: readonly number[], b: readonly number[]): WelchResult {
  if (a.length < 2 || b.length < 2) throw new RangeError(`welchTest needs at least 2 values per sample, got ${a.length} and ${b.length}`);
  const va = sampleSd(a) ** 2 / a.length;
  const vb = sampleSd(b) ** 2 / b.length;
  const difference = mean(a) - mean(b);
  const se = Math.sqrt(va + vb);
  if (se === 0) {
    return { difference, se, df: a.length + b.length - 2, t: difference === 0 ? 0 : Math.sign(difference) * Infinity, p: difference === 0 ? 1 : 0 };
  }
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const t = difference / se;
  return { difference, se, df, t, p: Math.min(1, 2 * studentTUpper(Math.abs(t), df)) };
}

/**
 * Two one-sided tests (Schuirmann 1987) of |mean(a) - mean(b)| < margin with Welch's standard error and degrees of
 * freedom. Returns the larger of the two one-sided p-values: equivalence is shown at level alpha when it is below
 * alpha.
 */
export function tostP(a: readonly number[], b: readonly number[], margin: number): number {
  const w = welchTest(a, b);
  if (w.se === 0) return Math.abs(w.difference) < margin ? 0 : 1;
  const lower = studentTUpper((w.difference + margin) / w.se, w.df); // H0: difference <= -margin
  const upper = 1 - studentTUpper((w.difference - margin) / w.se, w.df); // H0: difference >= margin
  return Math.max(lower, upper);
}

/**
 * Test of non-equivalence, H0: |mean(a) - mean(b)| <= margin against H1: |difference| > margin, with Welch's
 * standard error and degrees of freedom. The p-value is the largest probability over H0 of a difference at least
 * as far from zero as the one seen: P(|D| >= |d|) is increasing in |delta|, so the largest is at delta = ±margin,
 * P(T > (|d| - margin) / se) + P(T > (|d| + margin) / se). The second term keeps the level when se is large
 * against the margin (a difference past the margin on the other side); with se small it vanishes and this is the
 * one-sided test of difference > margin in the direction seen. Rejecting it at alpha says the rows differ by more
 * than the margin; a two-sided test of difference = 0 says only that they differ.
 */
export function nonEquivalenceP(a: readonly number[], b: readonly number[], margin: number): number {
  const w = welchTest(a, b);
  const d = Math.abs(w.difference);
  if (w.se === 0) return d > margin ? 0 : 1;
  return Math.min(1, studentTUpper((d - margin) / w.se, w.df) + studentTUpper((d + margin) / w.se, w.df));
}
