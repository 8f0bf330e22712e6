import { describe, expect, it } from 'vitest';
import { applyOverrides, presetByName, type TableSettings } from '../experiments/presets.js';
import { tableById, type DetectionSettings } from '../experiments/tables.js';
import { makeRecord } from '../test-utils/records.js';
import { tableChoices } from './choices.js';

const table7 = tableById(7);

function backboneLine(backboneWeights: string | undefined): string | undefined {
  const settings = applyOverrides(presetByName('quick').settings(table7), { backboneWeights }) as TableSettings;
  const records = [makeRecord(7, 'none', 1, { settings })];
  return tableChoices(table7, settings, records).find((line) => line.startsWith('Backbone:'));
}

describe("table 7's report says whether the backbone was pretrained", () => {
  it('from scratch by default, naming the flag that loads ImageNet weights', () => {
    expect((presetByName('default').settings(table7) as DetectionSettings).backboneWeights).toBe('none');
    expect(backboneLine(undefined)).toMatch(/^Backbone: trained from scratch .*--backbone-weights imagenet/);
  });

  it("Keras' ImageNet weights with --backbone-weights imagenet, a file's path otherwise", () => {
    expect(backboneLine('imagenet')).toMatch(/^Backbone: pretrained, Keras' ImageNet ResNet-50 weights/);
    expect(backboneLine('/data/resnet50_notop.h5')).toBe('Backbone: pretrained, weights loaded from /data/resnet50_notop.h5; nothing frozen.');
  });

  it('leaves the classification tables alone', () => {
    const t3 = tableById(3);
    const settings = applyOverrides(presetByName('quick').settings(t3), { backboneWeights: 'imagenet' });
    expect('backboneWeights' in settings).toBe(false);
  });
});
