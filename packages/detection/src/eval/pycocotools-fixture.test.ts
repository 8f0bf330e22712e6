import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareCase, type ReferenceFile } from './test-utils/reference.js';

// Written by scripts/coco-reference.py (see its header) with pycocotools; floats round-trip exactly through repr.
const fixture = JSON.parse(readFileSync(new URL('./fixtures/pycocotools-cases.json', import.meta.url), 'utf8')) as ReferenceFile;

describe(`evaluateCoco vs pycocotools ${fixture.pycocotools} (committed fixture: ${fixture.command})`, () => {
  it('has the cases it was generated with', () => {
    expect(fixture.cases.length).toBe(40);
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s: stats, precision, recall within 1e-9, same printed lines', (_name, c) => {
    const diff = compareCase(c);
    expect(diff.stats).toBeLessThanOrEqual(1e-9);
    expect(diff.precision).toBeLessThanOrEqual(1e-9);
    expect(diff.recall).toBeLessThanOrEqual(1e-9);
    expect(diff.linesEqual).toBe(true);
  });
});
