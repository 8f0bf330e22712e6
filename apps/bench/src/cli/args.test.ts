import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backboneWeightsFlag } from './args.js';

describe('--backbone-weights', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'db-backbone-flag-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes none and imagenet as they are, and nothing when the flag is absent', () => {
    expect(backboneWeightsFlag(undefined)).toBeUndefined();
    expect(backboneWeightsFlag('none')).toBe('none');
    expect(backboneWeightsFlag('imagenet')).toBe('imagenet');
  });

  it('makes an existing file absolute (the runs are other processes, maybe in another folder)', () => {
    const file = path.join(dir, 'resnet50_notop.h5');
    writeFileSync(file, 'not read here');
    expect(backboneWeightsFlag(path.relative(process.cwd(), file))).toBe(file);
  });

  it('refuses a path that does not exist, naming the flag and the value', () => {
    expect(() => backboneWeightsFlag(path.join(dir, 'missing.h5'))).toThrow(/--backbone-weights must be none, imagenet or the path of a Keras \.h5 file; '.*missing\.h5' does not exist/);
    expect(() => backboneWeightsFlag('ImageNet')).toThrow(/--backbone-weights/);
  });
});
