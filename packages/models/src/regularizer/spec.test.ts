import { describe, expect, it } from 'vitest';
import { describeRegularizer, regularizer, validateRegularizer, type RegularizerSpec } from './spec.js';
import { networkLabel, NETWORK_NAMES, reportVariants } from './variants.js';

describe('regularizer constructors', () => {
  it('build plain data', () => {
    expect(regularizer.none()).toEqual({ kind: 'none' });
    expect(regularizer.dropout(0.25)).toEqual({ kind: 'dropout', rate: 0.25 });
    expect(regularizer.spatialDropout(0.7)).toEqual({ kind: 'spatialDropout', rate: 0.7 });
    expect(regularizer.dropBlock(7, 0.9)).toEqual({ kind: 'dropBlock', blockSize: 7, keepProb: 0.9 });
    // Plain data survives JSON, so settings can be stored with results.
    const spec = regularizer.dropBlock(3, 0.9);
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it('reject bad arguments with an error naming them', () => {
    expect(() => regularizer.dropout(1)).toThrow(/rate/);
    expect(() => regularizer.dropout(-0.1)).toThrow(/rate/);
    expect(() => regularizer.spatialDropout(Number.NaN)).toThrow(/rate/);
    expect(() => regularizer.dropBlock(0, 0.9)).toThrow(/blockSize/);
    expect(() => regularizer.dropBlock(2.5, 0.9)).toThrow(/blockSize/);
    expect(() => regularizer.dropBlock(3, 0)).toThrow(/keepProb/);
    expect(() => regularizer.dropBlock(3, 1.1)).toThrow(/keepProb/);
  });

  it('validateRegularizer checks specs from untrusted data', () => {
    expect(validateRegularizer({ kind: 'dropBlock', blockSize: 3, keepProb: 1 })).toEqual(regularizer.dropBlock(3, 1));
    expect(() => validateRegularizer({ kind: 'dropout', rate: 2 })).toThrow(/regularizer\.rate/);
    expect(() => validateRegularizer({ kind: 'dropBlock', blockSize: -1, keepProb: 0.9 })).toThrow(/blockSize/);
    expect(() => validateRegularizer({ kind: 'cutout' } as unknown as RegularizerSpec)).toThrow(/regularizer\.kind/);
    expect(() => validateRegularizer(null as unknown as RegularizerSpec)).toThrow(/regularizer/);
  });

  it('argument errors follow the shared style: TypeError naming the type, RangeError showing the number', () => {
    // A keepProb read from JSON or a command line as a string used to read "got 0.9".
    const fromJson = JSON.parse('{"kind":"dropBlock","blockSize":3,"keepProb":"0.9"}') as RegularizerSpec;
    const cases: [() => unknown, ErrorConstructor, string][] = [
      [() => validateRegularizer(fromJson), TypeError, "keepProb must be a number in (0, 1], got the string '0.9'"],
      [() => regularizer.dropBlock(3, 0), RangeError, 'keepProb must be a number in (0, 1], got 0'],
      [() => regularizer.dropout('0.2' as never), TypeError, "rate must be a number in [0, 1), got the string '0.2'"],
      [() => regularizer.dropout(1), RangeError, 'rate must be a number in [0, 1), got 1'],
      [
        () => validateRegularizer({ kind: 'cutout' } as unknown as RegularizerSpec),
        TypeError,
        "regularizer.kind must be 'none', 'dropout', 'spatialDropout' or 'dropBlock', got the string 'cutout'",
      ],
    ];
    for (const [fn, type, message] of cases) {
      expect(fn).toThrow(type);
      expect(fn).toThrow(message);
    }
  });

  it('describes specs as the report writes them', () => {
    expect(describeRegularizer(regularizer.none())).toBe('none');
    expect(describeRegularizer(regularizer.dropout(0.25))).toBe('Dropout(0.25)');
    expect(describeRegularizer(regularizer.spatialDropout(0.3))).toBe('SpatialDropout(0.3)');
    expect(describeRegularizer(regularizer.dropBlock(7, 0.9))).toBe('DropBlock(bs = 7, kp = 0.9)');
  });
});

describe('reportVariants', () => {
  it('lists the five forms of the report with its settings', () => {
    const resnet = reportVariants('resnet50');
    expect(resnet.map((v) => v.key)).toEqual(['none', 'dropout', 'spatialDropout', 'dropBlock3', 'dropBlock7']);
    expect(resnet.map((v) => v.label)).toEqual([
      'ResNet-50',
      'ResNet-50 + Dropout(0.25)',
      'ResNet-50 + SpatialDropout(0.7)',
      'ResNet-50 + DropBlock(bs = 3, kp = 0.9)',
      'ResNet-50 + DropBlock(bs = 7, kp = 0.9)',
    ]);
    expect(resnet.map((v) => v.regularizer)).toEqual([
      regularizer.none(),
      regularizer.dropout(0.25),
      regularizer.spatialDropout(0.7),
      regularizer.dropBlock(3, 0.9),
      regularizer.dropBlock(7, 0.9),
    ]);
  });

  it('uses SpatialDropout 0.3 for DenseNet and 0.7 for the others, as the report tables do', () => {
    const spatial = (n: (typeof NETWORK_NAMES)[number]) =>
      reportVariants(n).find((v) => v.key === 'spatialDropout')!.regularizer;
    expect(spatial('densenet')).toEqual(regularizer.spatialDropout(0.3));
    expect(spatial('resnet50')).toEqual(regularizer.spatialDropout(0.7));
    expect(spatial('customNet')).toEqual(regularizer.spatialDropout(0.7));
    expect(reportVariants('customNet')[0].label).toBe('Custom Model');
    expect(reportVariants('densenet')[4].label).toBe('DenseNet + DropBlock(bs = 7, kp = 0.9)');
  });

  it('rejects unknown networks', () => {
    expect(() => reportVariants('vgg' as never)).toThrow(/network/);
    expect(() => networkLabel('vgg' as never)).toThrow(/network/);
  });
});
