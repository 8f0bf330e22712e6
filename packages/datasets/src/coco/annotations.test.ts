import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetFileError, DatasetNotFoundError } from '../errors.js';
import { cocoJson, tempDir, writeCocoLayout } from '../test-utils/fixtures.js';
import { CocoLabelMap, loadCoco } from './annotations.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
const quiet = { log: false as const };
let n = 0;

/** Writes a COCO layout whose JSON is `cocoJson()` changed by `edit`, and loads it. */
async function loadEdited(edit: (j: ReturnType<typeof cocoJson>) => unknown) {
  const root = path.join(tmp.dir, `bad${n++}`);
  writeCocoLayout(root, 'val2017', edit(cocoJson()));
  return loadCoco({ root, ...quiet }).catch((e: unknown) => e);
}

async function expectFileError(edit: (j: ReturnType<typeof cocoJson>) => unknown, message: RegExp) {
  const err = await loadEdited(edit);
  expect(err).toBeInstanceOf(DatasetFileError);
  expect((err as DatasetFileError).file).toMatch(/annotations[/\\]instances_val2017\.json$/);
  expect((err as Error).message).toMatch(message);
}

describe('loadCoco', () => {
  it('reads images, boxes in pixels, iscrowd, and maps category ids to contiguous labels', async () => {
    const dataDir = path.join(tmp.dir, 'data');
    writeCocoLayout(path.join(dataDir, 'coco'), 'train2017');
    const logs: string[] = [];
    const d = await loadCoco({ dataDir, split: 'train2017', log: (m) => logs.push(m) });
    expect(d.imageDir).toBe(path.join(dataDir, 'coco', 'train2017'));
    expect(d.images.map((im) => [im.id, im.width, im.height, im.objects.length])).toEqual([
      [7, 64, 48, 2],
      [9, 40, 80, 1],
    ]);
    expect(d.boxCount).toBe(3);
    expect(d.classNames).toEqual(['person', 'car', 'toothbrush']);
    expect(d.categories[2]).toEqual({ label: 2, cocoId: 90, name: 'toothbrush', supercategory: 'indoor' });
    expect(d.images[0].objects[1]).toEqual({ id: 2, bbox: [30.5, 10, 12, 30], label: 2, categoryId: 90, iscrowd: true, area: 360 });
    expect(d.images[0].objects[0].iscrowd).toBe(false);
    expect(d.images[1].path).toBe(path.join(dataDir, 'coco', 'train2017', '000000000009.jpg'));
    expect(logs).toEqual([`COCO train2017: 2 images, 3 boxes, 3 categories from ${path.join(dataDir, 'coco')}`]);
    const map = new CocoLabelMap(d.categories);
    expect(d.labelMap.labelToCocoId(2)).toBe(90);
    expect([map.cocoIdToLabel(1), map.cocoIdToLabel(3), map.cocoIdToLabel(90)]).toEqual([0, 1, 2]);
    expect([0, 1, 2].map((l) => map.labelToCocoId(l))).toEqual([1, 3, 90]);
    expect(() => map.cocoIdToLabel(2)).toThrow(/unknown COCO category id 2/);
    expect(() => map.labelToCocoId(3)).toThrow(/label 3 is outside 0\.\.2/);
    const limited = await loadCoco({ dataDir, split: 'train2017', limit: 1, ...quiet });
    expect([limited.images.length, limited.boxCount]).toEqual([1, 2]);
  });

  it('fails loudly on JSON missing fields, naming the file and the entry', async () => {
    await expectFileError((j) => ({ ...j, annotations: undefined }), /lacks the "annotations" array/);
    await expectFileError((j) => ({ ...j, images: [{ ...j.images[0], width: undefined }, j.images[1]] }), /images\[0\] lacks a valid "width"/);
    await expectFileError((j) => ({ ...j, images: [{ ...j.images[0], file_name: undefined }, j.images[1]] }), /images\[0\] lacks a valid "file_name"/);
    await expectFileError(
      (j) => ({ ...j, annotations: [j.annotations[0], { ...j.annotations[1], bbox: undefined }] }),
      /annotations\[1\] \(id 2\) lacks a valid "bbox"/,
    );
    await expectFileError((j) => ({ ...j, annotations: [{ ...j.annotations[0], bbox: [1, 2, 3] }] }), /annotations\[0\] \(id 1\) lacks a valid "bbox"/);
    await expectFileError((j) => ({ ...j, annotations: [{ ...j.annotations[0], iscrowd: undefined }] }), /lacks a valid "iscrowd"/);
    await expectFileError((j) => ({ ...j, annotations: [{ ...j.annotations[0], category_id: 2 }] }), /category_id 2, which is not in "categories"/);
    await expectFileError((j) => ({ ...j, annotations: [{ ...j.annotations[0], image_id: 8 }] }), /refers to image_id 8, which is not in "images"/);
    await expectFileError((j) => ({ ...j, images: [j.images[0], { ...j.images[1], id: 7 }] }), /images\[1\] repeats image id 7/);
    await expectFileError(() => [1, 2], /is not a JSON object/);
  });

  it('fails loudly when the JSON points at a missing image, naming the image path', async () => {
    const err = await loadEdited((j) => ({ ...j, images: [...j.images, { id: 11, file_name: '000000000011.jpg', width: 5, height: 5 }] }));
    expect(err).toBeInstanceOf(DatasetFileError);
    expect((err as Error).message).toMatch(/images\[2\] \(id 11\) points at a missing image: .*val2017[/\\]000000000011\.jpg/);
  });

  it('fails loudly on invalid JSON, a missing image folder, or no annotation file', async () => {
    const root = path.join(tmp.dir, 'broken');
    writeCocoLayout(root);
    writeFileSync(path.join(root, 'annotations', 'instances_val2017.json'), '{"images": [');
    await expect(loadCoco({ root, ...quiet })).rejects.toThrow(/instances_val2017\.json: is not valid JSON/);
    writeCocoLayout(root);
    rmSync(path.join(root, 'val2017'), { recursive: true });
    await expect(loadCoco({ root, ...quiet })).rejects.toThrow(/its image folder .*val2017 does not exist/);
    const err = await loadCoco({ dataDir: path.join(tmp.dir, 'nothing'), ...quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect((err as Error).message).toMatch(/no annotations[/\\]instances_val2017\.json in \., coco\/, coco2017\/, coco-2017\/, coco-2017-subset\//);
  });
});
