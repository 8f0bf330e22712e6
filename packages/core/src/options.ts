/**
 * Strict options objects: an option name the function does not know is an error naming it and the nearest valid
 * name, instead of being silently ignored (`{ keep_prob: 0.5 }` used to train with the default keepProb 0.9).
 * Framework-free, so every @db package checks its options the same way.
 */

/** Lower case without `_`, `-` and spaces: `keep_prob`, `keep-prob` and `keepProb` all become `keepprob`. */
function normalizeName(name: string): string {
  return name.replace(/[_\-\s]/g, '').toLowerCase();
}

/**
 * Edit distance between two option names, compared in lower case without `_`, `-` and spaces (so snake_case,
 * kebab-case and camelCase spellings of one name are at distance 0): the optimal-string-alignment distance, i.e.
 * Levenshtein's insertions,
 * deletions and substitutions plus swaps of two adjacent characters (Damerau 1964: the four most common typing
 * errors), each costing 1.
 */
export function optionNameDistance(a: string, b: string): number {
  const s = normalizeName(a);
  const t = normalizeName(b);
  const rows = s.length + 1;
  const cols = t.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[s.length][t.length];
}

/**
 * The name of `candidates` closest to `name` by {@link optionNameDistance}, when it is close enough to be what was
 * meant: at most a third of the longer name's length (rounded up) edits away, so `boundary` finds `boundaries`
 * and `stdev` finds `std`, while `x` finds nothing. Ties go to the first candidate.
 */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  const length = normalizeName(name).length;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = optionNameDistance(name, candidate);
    const limit = Math.max(1, Math.ceil(Math.max(length, normalizeName(candidate).length) / 3));
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Throws a `TypeError` when `options` has an own key not in `known`, naming every unknown key, the nearest valid
 * name where one is close ({@link nearestName}) and the valid names:
 * `dropBlock2D args: unknown option 'keep_prob' (did you mean 'keepProb'?); valid options: blockSize, keepProb, ...`.
 * `what` names the options object in the message. Anything but a plain object (undefined, null, a number) passes:
 * the function's own type checks report those.
 *
 * @example
 * assertKnownOptions(options, ['blockSize', 'keepProb', 'seed'], 'dropBlock2d options');
 */
export function assertKnownOptions(options: unknown, known: readonly string[], what: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return;
  const knownSet = new Set(known);
  const unknown = Object.keys(options).filter((key) => !knownSet.has(key));
  if (unknown.length === 0) return;
  const described = unknown.map((key) => {
    const suggestion = nearestName(key, known);
    return suggestion === undefined ? `'${key}'` : `'${key}' (did you mean '${suggestion}'?)`;
  });
  throw new TypeError(
    `${what}: unknown option${unknown.length > 1 ? 's' : ''} ${described.join(', ')}; valid options: ${known.join(', ')}`,
  );
}

/** The keys of T that the list K leaves out. */
type MissingKeys<T, K extends readonly string[]> = Exclude<keyof T & string, K[number]>;

/**
 * The option names of an options type `T` as a list for {@link assertKnownOptions}, checked by the compiler to
 * be exactly T's keys: a name T lacks is a type error, and so is leaving one of T's keys out (the error shows
 * `missing: '<key>'`), so a new option cannot be added to the type and then rejected at run time.
 *
 * @example
 * const KEYS = optionKeys<DropBlockOpOptions>()(['keepProb', 'blockSize', 'training', 'seed', ...]);
 */
export function optionKeys<T extends object>() {
  return <const K extends readonly (keyof T & string)[]>(
    keys: K,
    ..._complete: [MissingKeys<T, K>] extends [never] ? [] : [missing: MissingKeys<T, K>]
  ): K => keys;
}
