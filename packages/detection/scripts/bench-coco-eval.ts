/**
 * `pnpm bench:coco-eval`: evaluateCoco's time on a synthetic set of val2017's size — 5,000 images, 80 categories,
 * ~7 objects and 100 detections per image (jittered copies of the objects, wrong classes and random boxes).
 * One process, one thread; prints the wall and CPU time of each repeat (validation included) and the mAP.
 *
 * Options: --images 5000  --dets 100  --repeats 3  --seed 1  --out DIR (also write DIR/instances.json and
 * DIR/detections.json, e.g. to run pycocotools or `coco-eval` on the same set)
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateCoco, type CocoDetection, type CocoGroundTruth, type CocoGroundTruthAnnotation } from '../src/index.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '5000' },
    dets: { type: 'string', default: '100' },
    repeats: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
const imageCount = Number(values.images);
const detsPerImage = Number(values.dets);

// mulberry32: a small seeded generator, so the synthetic set is the same on every run.
let state = Number(values.seed) >>> 0;
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const categories = Array.from({ length: 80 }, (_, i) => ({ id: i + 1 }));
const images = Array.from({ length: imageCount }, (_, i) => ({ id: i + 1 }));
const annotations: CocoGroundTruthAnnotation[] = [];
const detections: CocoDetection[] = [];
for (const image of images) {
  const objects: CocoGroundTruthAnnotation[] = [];
  const n = 1 + Math.floor(random() * 13);
  for (let j = 0; j < n; j++) {
    const w = 4 + random() ** 2 * 400;
    const h = 4 + random() ** 2 * 400;
    const ann = {
      id: annotations.length + 1,
      image_id: image.id,
      category_id: 1 + Math.floor(random() * 80),
      bbox: [random() * 600, random() * 400, w, h],
      area: w * h * (0.5 + 0.5 * random()),
      iscrowd: random() < 0.01 ? 1 : 0,
    };
    objects.push(ann);
    annotations.push(ann);
  }
  for (let d = 0; d < detsPerImage; d++) {
    const score = random();
    if (d < 3 * n) {
      const o = objects[d % n];
      const [x, y, w, h] = o.bbox;
      const j = 0.2 * random();
      const category = random() < 0.1 ? 1 + Math.floor(random() * 80) : o.category_id;
      detections.push({ image_id: image.id, category_id: category, bbox: [x + (random() - 0.5) * j * w, y + (random() - 0.5) * j * h, w * (1 + (random() - 0.5) * j), h * (1 + (random() - 0.5) * j)], score });
    } else {
      detections.push({ image_id: image.id, category_id: 1 + Math.floor(random() * 80), bbox: [random() * 600, random() * 400, 4 + random() * 200, 4 + random() * 200], score });
    }
  }
}
const groundTruth: CocoGroundTruth = { images, categories, annotations };
if (values.out !== undefined) {
  writeFileSync(path.join(values.out, 'instances.json'), JSON.stringify(groundTruth));
  writeFileSync(path.join(values.out, 'detections.json'), JSON.stringify(detections));
}

console.log(`coco-eval bench: ${imageCount} images, ${annotations.length} objects, ${detections.length} detections, 80 categories`);
for (let r = 0; r < Number(values.repeats); r++) {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const result = evaluateCoco(groundTruth, detections);
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  // CPU time next to wall time: on a shared machine the wall time includes waiting for a core.
  const cpuSeconds = (used.user + used.system) / 1e6;
  console.log(`  run ${r + 1}: ${seconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU  (AP ${result.stats[0].toFixed(4)}, AP50 ${result.stats[1].toFixed(4)}, AR100 ${result.stats[8].toFixed(4)})`);
}
