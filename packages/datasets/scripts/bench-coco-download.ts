/**
 * Times `downloadCocoSubset` on an annotation file the size of COCO's real `instances_train2017.json` (118,287
 * images, 860,001 annotations with polygon segmentations, ~450 MB), served with the images from 127.0.0.1, so the
 * cost that does not depend on the network (streaming the archive, inflating, scanning the JSON, verifying the
 * JPEGs) is measured on this machine.
 *
 *   pnpm exec tsx --conditions=@db/source packages/datasets/scripts/bench-coco-download.ts [--images 500] [--scale 1]
 *
 * `--scale 0.1` makes a file a tenth the size. Prints the archive and JSON sizes and the seconds of the first call
 * (archive + images) and of a second call asking for more images (archive kept: scan + new images only).
 */
import { deflateRawSync } from 'node:zlib';
import { downloadCocoSubset } from '../src/coco/download.js';
import { encodeJpeg, rampImage, tempDir } from '../src/test-utils/fixtures.js';
import { serve, startServer, type Handler } from '../src/test-utils/server.js';
import { crc32 } from '../src/download/zip.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const wanted = Number(flag('images', '500'));
const scale = Number(flag('scale', '1'));
const imageCount = Math.round(118_287 * scale);
const annotationCount = Math.round(860_001 * scale);

// The JSON, in pieces (one string would pass V8's string limit at full scale).
const pieces: Buffer[] = [Buffer.from('{"info": {"description": "COCO 2017 Dataset (synthetic, train2017-sized)"}, "licenses": [{"id": 1, "name": "x"}], "images": [')];
const ids: number[] = [];
for (let i = 0; i < imageCount; i++) {
  const id = 9 + i * 5;
  ids.push(id);
  pieces.push(Buffer.from(`${i ? ', ' : ''}{"license": 1, "file_name": "${String(id).padStart(12, '0')}.jpg", "coco_url": "http://images.cocodataset.org/train2017/${String(id).padStart(12, '0')}.jpg", "height": 12, "width": 16, "date_captured": "2013-11-14 16:28:13", "flickr_url": "http://farm1.staticflickr.com/1/x.jpg", "id": ${id}}`));
}
pieces.push(Buffer.from('], "annotations": ['));
let state = 12345;
const rand = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
for (let a = 0; a < annotationCount; a++) {
  // COCO's segmentation polygons make an annotation ~500 bytes on average.
  const poly = Array.from({ length: 40 }, () => (rand() * 600).toFixed(2)).join(', ');
  const imageId = ids[Math.floor(rand() * ids.length)];
  pieces.push(Buffer.from(`${a ? ', ' : ''}{"segmentation": [[${poly}]], "area": 702.1, "iscrowd": 0, "image_id": ${imageId}, "bbox": [1.0, 2.0, 5.0, 4.0], "category_id": 18, "id": ${a + 1}}`));
}
pieces.push(Buffer.from('], "categories": [{"supercategory": "animal", "id": 18, "name": "dog"}]}'));
const json = Buffer.concat(pieces);
pieces.length = 0;

// A one-member ZIP (deflate, level 1 to build it quickly).
const name = Buffer.from('annotations/instances_train2017.json');
const data = deflateRawSync(json, { level: 1 });
const crc = crc32(json);
const local = Buffer.alloc(30);
local.writeUInt32LE(0x04034b50, 0);
local.writeUInt16LE(8, 8);
local.writeUInt32LE(crc, 14);
local.writeUInt32LE(data.length, 18);
local.writeUInt32LE(json.length, 22);
local.writeUInt16LE(name.length, 26);
const central = Buffer.alloc(46);
central.writeUInt32LE(0x02014b50, 0);
central.writeUInt16LE(8, 10);
central.writeUInt32LE(crc, 16);
central.writeUInt32LE(data.length, 20);
central.writeUInt32LE(json.length, 24);
central.writeUInt16LE(name.length, 28);
const end = Buffer.alloc(22);
end.writeUInt32LE(0x06054b50, 0);
end.writeUInt16LE(1, 8);
end.writeUInt16LE(1, 10);
end.writeUInt32LE(46 + name.length, 12);
end.writeUInt32LE(30 + name.length + data.length, 16);
const zip = Buffer.concat([local, name, data, central, name, end]);

const jpegBytes = encodeJpeg(rampImage(16, 12), 16, 12);
const routes: Record<string, Handler> = { '/annotations/annotations_trainval2017.zip': serve(zip) };
for (const id of ids.slice(0, 2 * wanted)) routes[`/train2017/${String(id).padStart(12, '0')}.jpg`] = serve(jpegBytes);
const server = await startServer(routes);
const cache = tempDir('db-coco-bench-');
console.log(`instances_train2017.json: ${imageCount} images, ${annotationCount} annotations, ${(json.length / 1e6).toFixed(1)} MB; archive ${(zip.length / 1e6).toFixed(1)} MB`);
try {
  const options = { cacheDir: cache.dir, mirror: server.base, log: false as const, maxBytes: 2 ** 31 };
  let t = performance.now();
  const first = await downloadCocoSubset({ ...options, images: { train2017: wanted } });
  console.log(`first call (archive over loopback + scan + ${first.splits[0].downloadedImages} JPEGs verified): ${((performance.now() - t) / 1000).toFixed(2)} s, ${first.splits[0].boxes} boxes, ${(first.bytes / 1e6).toFixed(1)} MB`);
  t = performance.now();
  const second = await downloadCocoSubset({ ...options, images: { train2017: 2 * wanted } });
  console.log(`second call, ${2 * wanted} images (archive kept: scan + ${second.splits[0].downloadedImages} new JPEGs): ${((performance.now() - t) / 1000).toFixed(2)} s`);
  t = performance.now();
  await downloadCocoSubset({ ...options, images: { train2017: 2 * wanted } });
  console.log(`third call, same images (cache only): ${((performance.now() - t) / 1000).toFixed(3)} s`);
} finally {
  await server.close();
  cache.cleanup();
}
