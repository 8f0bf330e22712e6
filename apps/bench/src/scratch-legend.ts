import { writeFileSync } from 'node:fs';
import { buildReportModel } from './report/summary.js';
import { tablePlots } from './report/plots.js';
import { makeRecord } from './test-utils/records.js';
const recs = ['none', 'dropBlock7'].flatMap((row, i) => [1, 2].map((seed) => {
  const r = makeRecord(7, row, seed);
  r.history = [{ epoch: 1, loss: 2 + i * 0.1, valLoss: 2.5, seconds: 1 }, { epoch: 2, loss: 1.7 + i * 0.1, valLoss: 2.4 - i * 0.1, seconds: 1 }];
  return r;
}));
const model = buildReportModel(recs);
const plots = await tablePlots(model.tables[0]);
writeFileSync('/tmp/legend.html', `<html><body>${plots.map((p) => p.svg).join('<br>')}</body></html>`);
