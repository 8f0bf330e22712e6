import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font.js';
import type { RgbPixels } from './png.js';

/** One box to draw: COCO `[x, y, width, height]` in image pixels, a caption and a colour. */
export interface BoxToDraw {
  bbox: readonly [number, number, number, number];
  caption: string;
  color: readonly [number, number, number];
  /** Draw the caption below the box's top edge instead of above it (to keep two captions apart). Default false. */
  captionInside?: boolean;
}

/** Colour of ground-truth boxes (green) and of detections (red) in {@link drawBoxes}' callers. */
export const GROUND_TRUTH_COLOR: readonly [number, number, number] = [0, 220, 0];
export const DETECTION_COLOR: readonly [number, number, number] = [255, 40, 40];

function fillRect(img: RgbPixels, x0: number, y0: number, x1: number, y1: number, color: readonly number[]): void {
  const xa = Math.max(0, Math.floor(x0));
  const ya = Math.max(0, Math.floor(y0));
  const xb = Math.min(img.width, Math.ceil(x1));
  const yb = Math.min(img.height, Math.ceil(y1));
  for (let y = ya; y < yb; y++) {
    for (let x = xa; x < xb; x++) {
      const p = 3 * (y * img.width + x);
      img.data[p] = color[0];
      img.data[p + 1] = color[1];
      img.data[p + 2] = color[2];
    }
  }
}

/** Draws `text` with its top-left corner at (x, y), each font pixel `scale` px, on a dark backing for contrast. */
export function drawText(img: RgbPixels, text: string, x: number, y: number, color: readonly number[], scale = 2): void {
  const advance = (GLYPH_WIDTH + 1) * scale;
  fillRect(img, x - scale, y - scale, x + text.length * advance, y + (GLYPH_HEIGHT + 1) * scale, [0, 0, 0]);
  [...text].forEach((char, i) => {
    glyph(char).forEach((bits, row) => {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if (bits & (1 << (GLYPH_WIDTH - 1 - col))) {
          const px = x + i * advance + col * scale;
          const py = y + row * scale;
          fillRect(img, px, py, px + scale, py + scale, color);
        }
      }
    });
  });
}

/**
 * Returns a copy of `image` with each box's outline (`thickness` px, inside the box) and caption drawn in its
 * colour; boxes are clipped to the image. Later boxes are drawn over earlier ones.
 */
export function drawBoxes(image: RgbPixels, boxes: readonly BoxToDraw[], options: { thickness?: number; textScale?: number } = {}): RgbPixels {
  const out: RgbPixels = { data: Uint8Array.from(image.data), width: image.width, height: image.height };
  const t = options.thickness ?? Math.max(2, Math.round(Math.min(image.width, image.height) / 200));
  const scale = options.textScale ?? Math.max(1, Math.round(Math.min(image.width, image.height) / 250));
  for (const { bbox, caption, color, captionInside } of boxes) {
    const [x, y, w, h] = bbox;
    fillRect(out, x, y, x + w, y + t, color);
    fillRect(out, x, y + h - t, x + w, y + h, color);
    fillRect(out, x, y, x + t, y + h, color);
    fillRect(out, x + w - t, y, x + w, y + h, color);
    const textHeight = (GLYPH_HEIGHT + 2) * scale;
    let ty = captionInside ? y + t + scale : y - textHeight;
    if (ty < scale) ty = y + t + scale;
    drawText(out, caption, Math.max(scale, x + t), ty, color, scale);
  }
  return out;
}
