/**
 * Writes `report.md` (plots as `plots/*.svg` beside it) and a self-contained `report.html` (plots inlined, styles
 * inlined, nothing fetched) from result records alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dataSourceLine } from '../experiments/data-source.js';
import { PRESET_NAMES, presetByName } from '../experiments/presets.js';
import { primaryMetric, type BenchTable } from '../experiments/tables.js';
import { formatDuration } from '../plan/plan.js';
import type { PlanNotes } from '../plan/notes.js';
import type { RunRecord } from '../results/store.js';
import { ALPHA } from './claims.js';
import { tableChoices } from './choices.js';
import { tablePlots, type Plot } from './plots.js';
import { buildReportModel, reportedValue, type RowSummary, type Spread, type TableSummary } from './summary.js';

type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'warning'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; head: string[]; rows: string[][] }
  | { kind: 'plot'; plot: Plot };

function num(x: number | undefined, digits = 4): string {
  return x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

function spreadText(s: Spread | undefined): string {
  if (s === undefined || s.n === 0) return 'no finished run';
  return s.n === 1 ? `${num(s.mean)} (n = 1)` : `${num(s.mean)} ± ${num(s.sd)} (n = ${s.n})`;
}

function diffText(s: Spread | undefined, reported: number | undefined): string {
  if (s === undefined || s.n === 0 || reported === undefined) return '–';
  const d = s.mean - reported;
  return `${d >= 0 ? '+' : ''}${d.toFixed(4)}`;
}

function settingsText(table: BenchTable, summary: TableSummary): string {
  const s = summary.settings as Record<string, unknown> | undefined;
  if (s === undefined) return '';
  const parts = Object.entries(s)
    .filter(([k]) => k !== 'network')
    .map(([k, v]) => `${k} ${String(v)}`);
  const net = s.network as Record<string, unknown> | undefined;
  if (net && Object.keys(net).length > 0) parts.push(`network size ${JSON.stringify(net)} (smaller than the report's)`);
  return `Settings of these runs: ${parts.join(', ')}${table.runner === 'classification' ? `; input ${table.inputShape.join('x')}` : ''}.`;
}

function classificationRows(summary: TableSummary): Block {
  return {
    kind: 'table',
    head: ['model', 'report', 'ours: mean ± sd (n seeds)', 'ours − report', "best epoch's test accuracy (mean over seeds)"],
    rows: summary.rows.map((r: RowSummary) => [
      r.row.label,
      num(reportedValue(r.row, 'accuracy')),
      spreadText(r.metrics.accuracy),
      diffText(r.metrics.accuracy, reportedValue(r.row, 'accuracy')),
      num(r.metrics.bestAccuracy?.mean),
    ]),
  };
}

function detectionRows(summary: TableSummary): Block {
  return {
    kind: 'table',
    head: ['model', 'report loss', 'ours loss', 'report val_loss', 'ours val_loss', 'ours − report (val_loss)', 'COCO mAP@[.5:.95] (ours)'],
    rows: summary.rows.map((r) => [
      r.row.label,
      num(reportedValue(r.row, 'loss')),
      spreadText(r.metrics.loss),
      num(reportedValue(r.row, 'valLoss')),
      spreadText(r.metrics.valLoss),
      diffText(r.metrics.valLoss, reportedValue(r.row, 'valLoss')),
      spreadText(r.metrics.mAP),
    ]),
  };
}

/** Which BatchNorm statistics a table's figures use, and the other statistics' figure as an extra column. */
function batchNormBlocks(table: BenchTable, summary: TableSummary, rowsBlock: Block): Block[] {
  const s = summary.settings as { bnStatistics?: string; bnImages?: number } | undefined;
  const key = table.runner === 'classification' ? 'accuracyMovingBn' : 'valLossMovingBn';
  if (s?.bnStatistics === undefined || rowsBlock.kind !== 'table' || !summary.rows.some((r) => r.metrics[key] !== undefined)) return [];
  const label = table.runner === 'classification' ? 'accuracy' : 'val_loss';
  if (s.bnStatistics === 'precise') {
    rowsBlock.head.push(`${label} with moving BN statistics`);
    summary.rows.forEach((r, i) => rowsBlock.rows[i].push(spreadText(r.metrics[key])));
    return [
      {
        kind: 'paragraph',
        text:
          `The ${label} figures (and verdicts) use precise BatchNorm statistics: before each evaluation every BN layer's mean and variance ` +
          `were recomputed over up to ${s.bnImages} training images, without augmentation, with the weights frozen (Wu & Johnson 2021, ` +
          `"Rethinking 'Batch' in BatchNorm", sec. 3). The last column is the same runs evaluated with Keras' moving averages (momentum 0.99), ` +
          'which short runs leave near their initial values.',
      },
    ];
  }
  return [{ kind: 'paragraph', text: `The ${label} figures use BatchNorm's moving statistics (Keras' own inference; --bn moving).` }];
}

/** The plan's left-out tables and warnings (plan.json), when the results folder has them. */
function planNoteBlocks(notes: { leftOut: readonly string[]; warnings: readonly string[] } | undefined): Block[] {
  if (notes === undefined || notes.leftOut.length + notes.warnings.length === 0) return [];
  return [
    { kind: 'heading', level: 2, text: 'Tables and rows the plan left out' },
    { kind: 'list', items: [...notes.leftOut, ...notes.warnings.map((w) => `warning: ${w}`)] },
  ];
}

function unique(values: Iterable<string | number>): string {
  return [...new Set([...values].map(String))].join(', ');
}

function environmentBlocks(records: readonly RunRecord[]): Block[] {
  const env = records.map((r) => r.environment);
  const starts = records.map((r) => Date.parse(r.startedAt));
  const ends = records.map((r) => Date.parse(r.finishedAt));
  const work = records.reduce((s, r) => s + r.wallSeconds, 0);
  return [
    { kind: 'heading', level: 2, text: 'Environment' },
    {
      kind: 'table',
      head: ['what', 'value'],
      rows: [
        ['preset', unique(records.map((r) => r.preset))],
        ['backend', unique(env.map((e) => e.backend))],
        ['wasm threads per run', unique(env.map((e) => e.threads))],
        ['parallel jobs', unique(env.map((e) => e.jobs))],
        ['cores', unique(env.map((e) => e.cores))],
        ['CPU', unique(env.map((e) => e.cpu))],
        ['hosts', unique(env.map((e) => e.host))],
        ['Node.js', unique(env.map((e) => e.node))],
        ['TensorFlow.js', unique(env.map((e) => e.tfjs))],
        ['platform', unique(env.map((e) => e.platform))],
        ['commit', unique(records.map((r) => r.commit))],
        ['data', unique(records.map((r) => (r.data ? `${r.data.dataset}: ${dataSourceLine(r.data)}` : `${r.config.dataset}: not recorded`)))],
        ['runs', `${records.filter((r) => r.status === 'ok').length} finished, ${records.filter((r) => r.status === 'failed').length} failed`],
        ['total run time (sum over runs)', formatDuration(work)],
        ['wall time (first start to last end)', records.length > 0 ? formatDuration((Math.max(...ends) - Math.min(...starts)) / 1000) : '–'],
      ],
    },
  ];
}

/**
 * The warning a pipeline-check preset's report opens with: its figures mean nothing. The sizes quoted are the
 * runs' own (largest over the records).
 */
function pipelineCheckWarning(records: readonly RunRecord[]): Block[] {
  const names = [...new Set(records.map((r) => r.preset))].filter((p) => (PRESET_NAMES as readonly string[]).includes(p) && presetByName(p).pipelineCheck);
  if (names.length === 0) return [];
  const mine = records.filter((r) => names.includes(r.preset));
  const most = (key: 'trainImages' | 'epochs') => Math.max(...mine.map((r) => r.config.settings[key]));
  const shrunk = mine.some((r) => 'network' in r.config.settings && Object.keys(r.config.settings.network).length > 0);
  return [
    {
      kind: 'warning',
      text:
        `These figures mean nothing. Preset ${names.join(', ')} checks the pipeline only: its runs train on at most ${most('trainImages')} images ` +
        `for at most ${most('epochs')} epoch(s)${shrunk ? ', some networks shrunk for speed' : ''}: far too little to learn, so its accuracies and losses ` +
        'say nothing about the regularisers and its verdicts nothing about the report\'s claims. For results, run the default preset (pnpm bench) or the paper preset.',
    },
  ];
}

/** Builds the report's blocks. */
async function reportBlocks(all: readonly RunRecord[], source: string, notes?: PlanNotes): Promise<Block[]> {
  const model = buildReportModel(all);
  const preset = unique(model.records.map((r) => r.preset));
  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: `DropBlock study, rerun (preset ${preset || 'none'})` },
    ...pipelineCheckWarning(model.records),
    {
      kind: 'paragraph',
      text:
        `Generated ${new Date().toISOString()} from ${model.records.length} run record(s) in ${source}. Each table puts the report's figure ` +
        '(one run, no spread) beside ours: the mean and sample standard deviation over seeds of the final metric. The report\'s DropBlock ' +
        'layer never dropped during fit, so its DropBlock rows were in effect unregularised; ours drop, with keepProb ramped linearly from 1.0.',
    },
    { kind: 'heading', level: 2, text: 'Verdicts on the report\'s claims' },
    {
      kind: 'paragraph',
      text:
        `Test: Welch's unequal-variance t-test on the final metric (one value per seed), family-wise alpha = ${ALPHA} for each verdict: ` +
        'split over the comparisons any one of which could give it (Bonferroni: any table, any of several candidate rows), not over those ' +
        'that must all agree. Equality claims are supported by two one-sided tests (TOST) with the stated margin, and contradicted only by ' +
        'a test that a row differs by more than the margin. A claim is ' +
        '"not resolved" when a row has fewer than 2 finished seeds or when the tests decide neither way: more seeds or a larger --budget may resolve it.',
    },
    {
      kind: 'table',
      head: ['claim', 'verdict', 'because', 'test'],
      rows: model.verdicts.map((v) => [v.claim.text, v.verdict, v.because, v.test]),
    },
  ];
  for (const summary of model.tables) {
    const { table } = summary;
    const metric = primaryMetric(table);
    blocks.push({ kind: 'heading', level: 2, text: `Table ${table.id}: ${table.title}` });
    blocks.push({ kind: 'paragraph', text: `Final ${metric.label} (${metric.higherIsBetter ? 'higher' : 'lower'} is better). ${settingsText(table, summary)}` });
    const rowsBlock = table.runner === 'classification' ? classificationRows(summary) : detectionRows(summary);
    const bnBlocks = batchNormBlocks(table, summary, rowsBlock);
    blocks.push(rowsBlock, ...bnBlocks);
    const failed = summary.rows.flatMap((r) => r.failed);
    if (failed.length > 0) blocks.push({ kind: 'list', items: failed.map((f) => `failed: ${f.runId}: ${f.reason ?? 'unknown reason'}`) });
    blocks.push({ kind: 'paragraph', text: 'Choices the report leaves unstated, and what the bench does:' });
    blocks.push({ kind: 'list', items: tableChoices(table, summary.settings, model.records.filter((r) => r.table === table.id)) });
    for (const plot of await tablePlots(summary)) blocks.push({ kind: 'plot', plot });
  }
  blocks.push(...planNoteBlocks(notes));
  blocks.push(...environmentBlocks(model.records));
  return blocks;
}

/**
 * Text in Markdown with `&`, `<` and `>` escaped: Markdown passes raw HTML through, and records carry text from
 * outside (a failed run's reason), which must show as text, not run as markup in a viewer.
 */
function mdText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function mdCell(text: string): string {
  return mdText(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function toMarkdown(blocks: readonly Block[]): string {
  return blocks
    .map((b) => {
      switch (b.kind) {
        case 'heading':
          return `${'#'.repeat(b.level)} ${mdText(b.text)}`;
        case 'paragraph':
          return mdText(b.text);
        case 'warning':
          return `> **${mdText(b.text)}**`;
        case 'list':
          return b.items.map((i) => `- ${mdText(i).replace(/\n/g, ' ')}`).join('\n');
        case 'table':
          return [`| ${b.head.map(mdCell).join(' | ')} |`, `|${b.head.map(() => '---').join('|')}|`, ...b.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)].join('\n');
        case 'plot':
          return `![${mdText(b.plot.caption)}](plots/${b.plot.file})`;
      }
    })
    .join('\n\n')
    .concat('\n');
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}figure{margin:1em 0}figcaption{color:#555;font-size:13px}
p.warning{background:#fff4e5;border-left:4px solid #e8710a;padding:8px 12px}td.v-supported{background:#e6f4ea}td.v-contradicted{background:#fde8e8}td.v-not-resolved{background:#f6f6f6}`;

function toHtml(blocks: readonly Block[], title: string): string {
  const body = blocks
    .map((b) => {
      switch (b.kind) {
        case 'heading':
          return `<h${b.level}>${esc(b.text)}</h${b.level}>`;
        case 'paragraph':
          return `<p>${esc(b.text)}</p>`;
        case 'warning':
          return `<p class="warning"><strong>${esc(b.text)}</strong></p>`;
        case 'list':
          return `<ul>${b.items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
        case 'table': {
          const cell = (c: string) => {
            const verdict = ['supported', 'contradicted', 'not resolved'].includes(c) ? ` class="v-${c.replace(' ', '-')}"` : '';
            return `<td${verdict}>${esc(c)}</td>`;
          };
          return `<table><thead><tr>${b.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${b.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</tbody></table>`;
        }
        case 'plot':
          return `<figure>${b.plot.svg}<figcaption>${esc(b.plot.caption)}</figcaption></figure>`;
      }
    })
    .join('\n');
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head>\n<body>\n${body}\n</body></html>\n`;
}

/** Paths of a written report. */
export interface WrittenReport {
  /** report.md. */
  markdown: string;
  /** report.html. */
  html: string;
  /** The plots written beside report.md. */
  plots: string[];
}

/** Writes report.md, plots/*.svg and report.html into `dir` from `records`. */
export async function writeReport(records: readonly RunRecord[], dir: string, source: string, notes?: PlanNotes): Promise<WrittenReport> {
  const blocks = await reportBlocks(records, source, notes);
  mkdirSync(path.join(dir, 'plots'), { recursive: true });
  const plots: string[] = [];
  for (const b of blocks) {
    if (b.kind === 'plot') {
      const file = path.join(dir, 'plots', b.plot.file);
      writeFileSync(file, b.plot.svg);
      plots.push(file);
    }
  }
  const markdown = path.join(dir, 'report.md');
  const html = path.join(dir, 'report.html');
  writeFileSync(markdown, toMarkdown(blocks));
  const title = blocks[0].kind === 'heading' ? blocks[0].text : 'DropBlock bench report';
  writeFileSync(html, toHtml(blocks, title));
  return { markdown, html, plots };
}
