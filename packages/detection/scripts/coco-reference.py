#!/usr/bin/python3
"""Reference numbers from pycocotools for @db/detection's evaluateCoco.

Generates seeded random, adversarial COCO cases (tied scores, duplicates, wrong and unknown classes, crowd
regions, areas on the small/medium/large boundaries, annotation id 0, zero-size boxes, images without ground
truth or detections, more than maxDets detections per image, subsets and non-default parameters) and scores each
with pycocotools' COCOeval('bbox'). Prints one JSON object {"cases": [...]} on stdout; floats are written with
repr, so they round-trip exactly.

  /usr/bin/python3 coco-reference.py --seed 1 --count 40 --rle > fixture.json   # committed fixture
  /usr/bin/python3 coco-reference.py --seed 7 --count 300                      # live comparison (full arrays)
  /usr/bin/python3 coco-reference.py --seed 7 --count 2 --large                # a few bigger cases

--rle stores precision run-length encoded, transposed to [T, K, A, M, R] (a recall curve per run), as a flat
list [value, count, value, count, ...], to keep the fixture small.
"""
import argparse
import contextlib
import importlib.metadata
import io
import json
import random
import sys

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def quantise(rng, value, grid):
    # A coarse grid makes exact IoU ties and boxes that touch likely.
    return round(value / grid) * grid if grid else round(value, 3)


def make_case(rng, large):
    n_img = rng.randint(150, 300) if large else rng.randint(1, 6)
    n_cat = rng.randint(3, 6) if large else rng.randint(1, 3)
    image_ids = rng.sample(range(1, 100000), n_img)
    cat_ids = rng.sample(range(1, 30), n_cat)
    grid = rng.choice([1, 0.5, 4, 0])
    next_id = rng.choice([0, 1, 1000])  # annotation id 0 is matched but, in pycocotools, counted as unmatched
    anns = []
    for img in image_ids:
        if rng.random() < 0.2:
            continue  # an image with no ground truth
        for _ in range(rng.randint(0, 12 if large else 6)):
            size = rng.choice([(1, 30), (30, 100), (100, 300)])
            w = quantise(rng, rng.uniform(*size), grid)
            h = quantise(rng, rng.uniform(*size), grid)
            if rng.random() < 0.03:
                w = 0  # degenerate box: IoU 0 with everything
            area_kind = rng.random()
            if area_kind < 0.6:
                area = w * h
            elif area_kind < 0.85:
                area = round(w * h * rng.uniform(0.4, 1.0), 2)
            else:
                area = rng.choice([32 ** 2, 96 ** 2, 32 ** 2 - 0.5, 96 ** 2 + 0.5, 0])
            ann = {
                'id': next_id,
                'image_id': img,
                'category_id': rng.choice(cat_ids),
                'bbox': [quantise(rng, rng.uniform(0, 400), grid), quantise(rng, rng.uniform(0, 400), grid), w, h],
                'area': area,
                'iscrowd': 1 if rng.random() < 0.12 else 0,
            }
            if rng.random() < 0.05:
                ann['ignore'] = 1  # overwritten by iscrowd in pycocotools
            anns.append(ann)
            next_id += 1
    rng.shuffle(anns)

    score_pool = [0.9, 0.5, 0.5, 0.3, 0.75]
    def score():
        return rng.choice(score_pool) if rng.random() < 0.4 else round(rng.random(), rng.choice([1, 2, 6]))

    dets = []
    for ann in anns:
        for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
            x, y, w, h = ann['bbox']
            j = rng.choice([0, 0.05, 0.15, 0.3])
            box = [quantise(rng, x + rng.uniform(-j, j) * max(w, 1), grid),
                   quantise(rng, y + rng.uniform(-j, j) * max(h, 1), grid),
                   max(0, quantise(rng, w * (1 + rng.uniform(-j, j)), grid)),
                   max(0, quantise(rng, h * (1 + rng.uniform(-j, j)), grid))]
            cat = ann['category_id']
            r = rng.random()
            if r < 0.15:
                cat = rng.choice(cat_ids)  # possibly the wrong class
            elif r < 0.18:
                cat = 999  # a category the ground truth does not list
            dets.append({'image_id': ann['image_id'], 'category_id': cat, 'bbox': box, 'score': score()})
    for img in image_ids:
        extra = rng.choice([0, 0, 1, 3, 8])
        if large:
            extra = rng.randint(60, 140)
        elif rng.random() < 0.12:
            extra = rng.randint(101, 130)  # more than maxDets in one image
        for _ in range(extra):
            size = rng.choice([(1, 30), (30, 100), (100, 300)])
            dets.append({'image_id': img, 'category_id': rng.choice(cat_ids),
                         'bbox': [quantise(rng, rng.uniform(0, 400), grid), quantise(rng, rng.uniform(0, 400), grid),
                                  quantise(rng, rng.uniform(*size), grid), quantise(rng, rng.uniform(*size), grid)],
                         'score': score()})
    for _ in range(rng.choice([0, 0, 2, 5])):
        if dets:
            dets.append(dict(rng.choice(dets)))  # exact duplicates
    rng.shuffle(dets)
    if rng.random() < 0.05:
        dets = []

    options = {}
    r = rng.random()
    if r < 0.08:
        options['imgIds'] = rng.sample(image_ids, max(1, n_img // 2))
    elif r < 0.16:
        options['catIds'] = rng.sample(cat_ids, max(1, n_cat - 1))
    elif r < 0.26:
        options['useCats'] = False
    elif r < 0.34:
        options['maxDets'] = rng.choice([[1, 5, 20], [3, 2, 7], [1, 10, 100, 300]])
    elif r < 0.40:
        options['iouThrs'] = rng.choice([[0.3, 0.5, 0.75], [0.5, 0.75, 1.0], [0.1, 0.95, 0.5]])
    gt = {'images': [{'id': i} for i in image_ids], 'categories': [{'id': c} for c in cat_ids], 'annotations': anns}
    return gt, dets, options


def evaluate(gt, dets, options):
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = json.loads(json.dumps(gt))
        coco_gt.createIndex()
        if dets:
            coco_dt = coco_gt.loadRes(json.loads(json.dumps(dets)))
        else:
            # loadRes indexes anns[0] and fails on an empty list; an empty results object is what users build.
            coco_dt = COCO()
            coco_dt.dataset = {'images': list(coco_gt.dataset['images']), 'annotations': [],
                               'categories': list(coco_gt.dataset['categories'])}
            coco_dt.createIndex()
        e = COCOeval(coco_gt, coco_dt, 'bbox')
        if 'imgIds' in options:
            e.params.imgIds = options['imgIds']
        if 'catIds' in options:
            e.params.catIds = options['catIds']
        if options.get('useCats') is False:
            e.params.useCats = 0
        if 'maxDets' in options:
            e.params.maxDets = options['maxDets']
        if 'iouThrs' in options:
            e.params.iouThrs = np.array(options['iouThrs'], dtype=float)
        e.evaluate()
        e.accumulate()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        e.summarize()
    return e, printed.getvalue().splitlines()


def rle(values):
    out = []
    for v in values:
        if out and out[-2] == v:
            out[-1] += 1
        else:
            out += [v, 1]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--count', type=int, required=True)
    ap.add_argument('--large', action='store_true')
    ap.add_argument('--rle', action='store_true')
    args = ap.parse_args()
    rng = random.Random(args.seed)
    cases = []
    for n in range(args.count):
        gt, dets, options = make_case(rng, args.large)
        e, lines = evaluate(gt, dets, options)
        prec = e.eval['precision']
        case = {
            'name': f'seed {args.seed} case {n}',
            'groundTruth': gt,
            'detections': dets,
            'options': options,
            'counts': list(prec.shape),
            'stats': [float(s) for s in e.stats],
            'lines': lines,
            'recall': [float(v) for v in e.eval['recall'].ravel()],
        }
        if args.rle:
            case['precisionRle'] = rle([float(v) for v in np.transpose(prec, (0, 2, 3, 4, 1)).ravel()])
        else:
            case['precision'] = [float(v) for v in prec.ravel()]
        cases.append(case)
    json.dump({'pycocotools': importlib.metadata.version('pycocotools'), 'numpy': np.__version__,
               'command': ' '.join(['coco-reference.py'] + sys.argv[1:]), 'cases': cases}, sys.stdout)


if __name__ == '__main__':
    main()
