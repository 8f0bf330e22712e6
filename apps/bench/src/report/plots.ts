/**
 * The report's plots as Vega-Lite specs, rendered to SVG in Node by Vega's headless View (`renderer: 'none'`,
 * `toSVG()`): no canvas, no browser. Text widths are estimated, which is enough for axis labels.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { primaryMetric } from '../experiments/tables.js';
import { reportedValue, type TableSummary } from './summary.js';

const LABELS: Record<string, string> = { accuracy: 'test accuracy', loss: 'training loss', valLoss: 'val_loss' };

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Point shapes of the metrics of a two-metric plot (a run of one epoch has points and no lines). */
const METRIC_SHAPES = ['circle', 'square'] as const;

/**
 * The metric legend of a two-metric plot: each entry drawn as its series is, a short dark stroke with the series'
 * dash and its point shape in the middle (Vega symbol paths on a unit square; the stroke's dash comes from the
 * strokeDash scale). Without this it drew each metric as the same filled black dot.
 */
function metricLegend(labels: readonly string[]): Record<string, unknown> {
  const circle = 'M0.3,0A0.3,0.3,0,1,1,-0.3,0A0.3,0.3,0,1,1,0.3,0Z';
  const square = 'M-0.3,-0.3H0.3V0.3H-0.3Z';
  // The marker sits in a gap of the line: line, marker, line.
  const path = (marker: string) => `M-1,0H-0.3${marker}M0.3,0H1`;
  return {
    orient: 'bottom',
    symbolSize: 400,
    symbolStrokeWidth: 1.5,
    encode: {
      symbols: {
        update: {
          stroke: { value: '#333' },
          fill: { value: 'none' },
          fillOpacity: { value: 0 },
          shape: { signal: `datum.value === ${JSON.stringify(labels[1])} ? ${JSON.stringify(path(square))} : ${JSON.stringify(path(circle))}` },
        },
      },
    },
  };
}

/** Metric per epoch, one line per row (mean over seeds). */
export function curveSpec(summary: TableSummary, metrics: readonly string[]): vl.TopLevelSpec | undefined {
  const values = summary.rows.flatMap((r) =>
    metrics.flatMap((m) => (r.curves[m] ?? []).map(([epoch, value]) => ({ row: r.row.label, metric: LABELS[m] ?? m, marker: LABELS[m] ?? m, epoch, value }))),
  );
  if (values.length === 0) return undefined;
  const labels = metrics.map((m) => LABELS[m] ?? m);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Table ${summary.table.id}: ${metrics.map((m) => LABELS[m] ?? m).join(' and ')} per epoch (mean over seeds)`,
    width: 520,
    height: 260,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' }, title: 'epoch' },
      y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: metrics.length === 1 ? LABELS[metrics[0]] : 'loss' },
      color: { field: 'row', type: 'nominal', title: null, scale: { domain: summary.rows.map((r) => r.row.label) }, legend: { orient: 'bottom', columns: 1, labelLimit: 600 } },
      // Two metrics: told apart by the line's dash, and the legend draws that dash (a short solid or dashed stroke);
      // by default it drew each as the same filled dot.
      ...(metrics.length > 1
        ? {
            strokeDash: { field: 'metric', type: 'nominal', title: null, scale: { domain: labels, range: [[1, 0], [6, 3]] }, legend: metricLegend(labels) },
            // The same metric under another field name, so Vega-Lite keeps this channel out of the legend above.
            shape: { field: 'marker', type: 'nominal', title: null, scale: { domain: labels, range: [...METRIC_SHAPES] }, legend: null },
          }
        : {}),
    },
  } as vl.TopLevelSpec;
}

/** Final metric per row: mean with ±1 sd error bars, and the report's figure as a red diamond. */
export function finalSpec(summary: TableSummary): vl.TopLevelSpec | undefined {
  const metric = primaryMetric(summary.table);
  const values = summary.rows
    .filter((r) => r.metrics[metric.key] !== undefined)
    .map((r) => {
      const s = r.metrics[metric.key];
      const sd = Number.isFinite(s.sd) ? s.sd : 0;
      return { row: r.row.label, mean: s.mean, lo: s.mean - sd, hi: s.mean + sd, reported: reportedValue(r.row, metric.key), n: s.n };
    });
  if (values.length === 0) return undefined;
  const y = { field: 'row', type: 'nominal', title: null, sort: null, axis: { labelLimit: 600 } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Table ${summary.table.id}: final ${metric.label}, mean ± sd over seeds (dots) and the report's figure (red diamonds)`,
    width: 420,
    height: { step: 26 },
    data: { values },
    layer: [
      { mark: { type: 'rule' }, encoding: { y, x: { field: 'lo', type: 'quantitative', scale: { zero: false }, title: metric.label }, x2: { field: 'hi' } } },
      { mark: { type: 'point', filled: true, size: 60 }, encoding: { y, x: { field: 'mean', type: 'quantitative' } } },
      { mark: { type: 'point', shape: 'diamond', color: '#d62728', size: 70, filled: true }, encoding: { y, x: { field: 'reported', type: 'quantitative' } } },
    ],
  } as vl.TopLevelSpec;
}

/** A named SVG plot of a table. */
export interface Plot {
  /** File name, e.g. `table1-accuracy.svg`. */
  file: string;
  /** Alt text / caption. */
  caption: string;
  /** The SVG. */
  svg: string;
}

/** The plots of one table: the per-epoch curves the report shows, then the final metric with error bars. */
export async function tablePlots(summary: TableSummary): Promise<Plot[]> {
  const id = summary.table.id;
  const specs: Array<[string, string, vl.TopLevelSpec | undefined]> =
    summary.table.runner === 'classification'
      ? [
          [`table${id}-accuracy-per-epoch.svg`, 'test accuracy per epoch per regulariser', curveSpec(summary, ['accuracy'])],
          [`table${id}-final-accuracy.svg`, 'final accuracy, mean ± sd, report\'s figure marked', finalSpec(summary)],
        ]
      : [
          [`table${id}-loss-per-epoch.svg`, 'loss and val_loss per epoch per regulariser', curveSpec(summary, ['loss', 'valLoss'])],
          [`table${id}-final-val-loss.svg`, 'final val_loss, mean ± sd, report\'s figure marked', finalSpec(summary)],
        ];
  const plots: Plot[] = [];
  for (const [file, caption, spec] of specs) if (spec) plots.push({ file, caption, svg: await renderSvg(spec) });
  return plots;
}
