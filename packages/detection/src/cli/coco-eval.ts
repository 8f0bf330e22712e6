#!/usr/bin/env node
/**
 * `coco-eval --gt instances.json --dt detections.json [--json]`: COCO box mAP of a results file, as pycocotools
 * prints it. Without `--json` it prints the 12 lines of `COCOeval.summarize()` (nothing else); with `--json` it
 * prints `{"stats": [12 numbers]}`. Bad input prints one line naming the file and record, and exits 1; a usage
 * error exits 2.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { evaluateCoco } from '../eval/coco-eval.js';
import type { CocoDetection, CocoGroundTruth } from '../eval/types.js';

const USAGE = 'usage: coco-eval --gt instances.json --dt detections.json [--json]';

class UsageError extends Error {}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${what} file ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} file ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

function main(argv: string[]): string {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { gt: { type: 'string' }, dt: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return USAGE;
  if (values.gt === undefined || values.dt === undefined) throw new UsageError(`--gt and --dt are both required`);
  const groundTruth = readJson(values.gt, 'ground-truth') as CocoGroundTruth;
  const detections = readJson(values.dt, 'detections') as CocoDetection[];
  let result;
  try {
    result = evaluateCoco(groundTruth, detections);
  } catch (err) {
    // The message names the record (e.g. "detections[12]: ..."); prefix the file it came from.
    const message = (err as Error).message;
    const file = message.startsWith('detections') ? values.dt : values.gt;
    throw new Error(`${file}: ${message}`);
  }
  return values.json ? JSON.stringify({ stats: result.stats }) : result.lines.join('\n');
}

try {
  process.stdout.write(`${main(process.argv.slice(2))}\n`);
} catch (err) {
  const usage = err instanceof UsageError;
  process.stderr.write(`coco-eval: ${(err as Error).message}${usage ? `\n${USAGE}` : ''}\n`);
  process.exitCode = usage ? 2 : 1;
}
