import { describe, expect, it } from 'vitest';
import { makeRecord } from '../test-utils/records.js';
import { curveSpec, renderSvg } from './plots.js';
import { buildReportModel } from './summary.js';

describe('plots', () => {
  it('draw the loss / val_loss legend as each series is drawn: a solid stroke with a circle, a dashed one with a square, not two like dots', async () => {
    const records = ['none', 'dropBlock7'].flatMap((row) =>
      [1, 2].map((seed) => {
        const r = makeRecord(7, row, seed);
        r.history = [
          { epoch: 1, loss: 2, valLoss: 2.5, seconds: 1 },
          { epoch: 2, loss: 1.8, valLoss: 2.4, seconds: 1 },
        ];
        return r;
      }),
    );
    const spec = curveSpec(buildReportModel(records).tables[0], ['loss', 'valLoss']);
    if (spec === undefined) throw new Error('no plot');
    const svg = await renderSvg(spec);
    const legend = svg.slice(svg.indexOf('Symbol legend for strokeDash'));
    const symbols = [...legend.matchAll(/role-legend-symbol" pointer-events="none"><path ([^>]*)\/>/g)].map((m) => m[1]).slice(0, 2);
    expect(symbols).toHaveLength(2);
    for (const s of symbols) {
      expect(s).toMatch(/d="M-10,0L-3,0M.*M3,0L10,0"/); // a stroke with the marker in its middle, not a dot
      expect(s).toMatch(/fill="none".*stroke="#333"/); // an outline, visible
    }
    expect(symbols[0]).toMatch(/d="M-10,0L-3,0M3,0C/); // circle: training loss
    expect(symbols[1]).toMatch(/d="M-10,0L-3,0M-3,-3L3,-3L3,3L-3,3Z/); // square: val_loss
    expect(symbols.map((s) => /stroke-dasharray="([^"]+)"/.exec(s)?.[1])).toEqual(['1,0', '6,3']);
    expect(legend).toContain('>training loss</text>');
    expect(legend).toContain('>val_loss</text>');
  });
});
