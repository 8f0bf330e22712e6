import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readJpeg, type CocoDataset, type JpegDecoder } from '@db/datasets';
import type { CocoDetection } from '../eval/types.js';
import { DETECTION_COLOR, drawBoxes, GROUND_TRUTH_COLOR, type BoxToDraw } from './draw.js';
import { encodePng } from './png.js';

/** Options of {@link drawCocoDetections}. */
export interface DrawCocoOptions {
  /** Draw detections scoring at least this. Default 0.3. */
  scoreThreshold?: number;
  /** At most this many detections per image, the best first. Default 20. */
  maxPerImage?: number;
  /** Only these images (default: every image of the dataset). */
  imageIds?: readonly number[];
  /** JPEG decoder. Default `auto`. */
  decoder?: JpegDecoder;
}

/**
 * Writes one PNG per image, `<outDir>/<image id>.png`: the original image with its ground-truth boxes in green
 * (captioned with the class name; crowd regions `crowd`) and the detections in red (class name and score, caption
 * inside the box's top edge), so that a person can see what a model detects. Returns the files written.
 */
export async function drawCocoDetections(
  dataset: CocoDataset,
  detections: readonly CocoDetection[],
  outDir: string,
  options: DrawCocoOptions = {},
): Promise<string[]> {
  const threshold = options.scoreThreshold ?? 0.3;
  const maxPerImage = options.maxPerImage ?? 20;
  const names = new Map(dataset.categories.map((c) => [c.cocoId, c.name]));
  const wanted = options.imageIds ? new Set(options.imageIds) : undefined;
  if (wanted) {
    const known = new Set(dataset.images.map((im) => im.id));
    const unknown = [...wanted].filter((id) => !known.has(id));
    if (unknown.length > 0) throw new RangeError(`imageIds: ${unknown.join(', ')} not in ${dataset.split}`);
  }
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const image of dataset.images) {
    if (wanted && !wanted.has(image.id)) continue;
    const pixels = await readJpeg(image.path, options.decoder);
    const boxes: BoxToDraw[] = image.objects.map((o) => ({
      bbox: o.bbox,
      caption: o.iscrowd ? 'crowd' : (names.get(o.categoryId) ?? String(o.categoryId)),
      color: GROUND_TRUTH_COLOR,
    }));
    detections
      .filter((d) => d.image_id === image.id && d.score >= threshold)
      .sort((a, b) => b.score - a.score)
      .slice(0, maxPerImage)
      .reverse() // the best drawn last, on top
      .forEach((d) =>
        boxes.push({
          bbox: d.bbox as [number, number, number, number],
          caption: `${names.get(d.category_id) ?? d.category_id} ${d.score.toFixed(2)}`,
          color: DETECTION_COLOR,
          captionInside: true,
        }),
      );
    const file = path.join(outDir, `${image.id}.png`);
    await writeFile(file, encodePng(drawBoxes(pixels, boxes)));
    written.push(file);
  }
  return written;
}
