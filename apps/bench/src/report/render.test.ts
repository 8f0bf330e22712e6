import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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
