/**
 * Finds the code examples of the project's Markdown docs, so the tests can run each one as a user would.
 *
 * A fenced block (CommonMark: three or more backticks or tildes, possibly indented, e.g. inside a list item)
 * whose info string starts with `ts`, `typescript`, `js` or `javascript` is an example. Every other language
 * (`sh`, `json`, none) is prose and never run. The nearest non-blank line above a fence may carry a marker:
 *
 * - `<!-- example: not-run (reason) -->`: deliberately not runnable (a type signature, an excerpt); the reason is
 *   required and is printed with the count of skipped blocks.
 * - `<!-- example: needs-data PATH[, PATH...] (reason) -->`: runs only where each PATH exists in the data
 *   directory (`DB_DATA_DIR`); the harness links each PATH into the block's working directory.
 *
 * Any other `<!-- example: ... -->` is an error, so a misspelt marker cannot silently skip a block.
 */

/** What to do with one example block. */
export type ExampleMode =
  | { kind: 'run' }
  | { kind: 'not-run'; reason: string }
  | { kind: 'needs-data'; paths: string[]; reason: string };

/** One runnable-language code block of a Markdown file. */
export interface CodeExample {
  /** 1-based line of the opening fence in the Markdown file. */
  fenceLine: number;
  /** `ts` or `js` (normalised from `typescript` / `javascript`). */
  language: 'ts' | 'js';
  /** The block's source, with the indentation of the fence removed from every line. */
  code: string;
  mode: ExampleMode;
}

const LANGUAGES: Record<string, 'ts' | 'js'> = { ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js' };
const MARKER = /^\s*<!--\s*example:\s*(.*?)\s*-->\s*$/;

/** Parses the text of an `example:` marker; throws a `SyntaxError` naming the line when it is malformed. */
function parseMarker(text: string, where: string): ExampleMode {
  const notRun = /^not-run\s*\((.+)\)$/.exec(text);
  if (notRun) return { kind: 'not-run', reason: notRun[1].trim() };
  const needsData = /^needs-data\s+([^()]+?)\s*(?:\((.+)\))?$/.exec(text);
  if (needsData) {
    const paths = needsData[1].split(',').map((p) => p.trim()).filter((p) => p.length > 0);
    if (paths.some((p) => p.startsWith('/') || p.split('/').includes('..'))) {
      throw new SyntaxError(`${where}: needs-data paths are relative to the data directory, got "${needsData[1]}"`);
    }
    return { kind: 'needs-data', paths, reason: needsData[2]?.trim() ?? '' };
  }
  throw new SyntaxError(
    `${where}: unknown example marker "${text}"; expected "not-run (reason)" or "needs-data PATH[, PATH] (reason)"`,
  );
}

/**
 * Extracts the ts/js code blocks of a Markdown document, with their line numbers and markers.
 * `name` only labels errors (a malformed marker, an unclosed fence).
 */
export function extractExamples(markdown: string, name = 'markdown'): CodeExample[] {
  const lines = markdown.split(/\r?\n/);
  const examples: CodeExample[] = [];
  let lastNonBlank = -1; // index of the last non-blank line outside fences
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3}|\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]);
    if (!open) {
      if (lines[i].trim() !== '') lastNonBlank = i;
      continue;
    }
    const [, indent, fence, info] = open;
    const closing = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !closing.test(lines[end])) end++;
    if (end === lines.length) throw new SyntaxError(`${name}:${i + 1}: code fence ${fence} is never closed`);
    const marker = lastNonBlank >= 0 ? MARKER.exec(lines[lastNonBlank]) : null;
    const language = LANGUAGES[info.toLowerCase()];
    if (language) {
      const body = lines.slice(i + 1, end).map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()));
      examples.push({
        fenceLine: i + 1,
        language,
        code: `${body.join('\n')}\n`,
        mode: marker ? parseMarker(marker[1], `${name}:${lastNonBlank + 1}`) : { kind: 'run' },
      });
    } else if (marker) {
      throw new SyntaxError(`${name}:${lastNonBlank + 1}: example marker before a "${info || 'plain'}" block, which is never run`);
    }
    lastNonBlank = end;
    i = end;
  }
  return examples;
}
