/**
 * A streaming reader of a COCO instances JSON's top level, for files too large to parse whole: the official
 * `instances_train2017.json` is 448 MB, near V8's 512 MB string limit, and its parsed objects take gigabytes.
 *
 * It tracks only JSON structure (strings with escapes, brackets, the top-level keys) byte by byte; UTF-8 is safe to
 * scan bytewise because no byte of a multi-byte sequence is below 0x80. For chosen top-level keys it hands over
 * the raw bytes either of the whole value (`info`, `licenses`, `categories`: small) or of each element of the
 * array value (`images`, `annotations`), so the caller parses only what it keeps.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/** What to do with each top-level key's value. */
export interface TopLevelHandlers {
  /** Keys whose whole value is handed over (raw bytes, then `onValue`). */
  values: ReadonlySet<string>;
  /** Keys whose value is an array whose elements are handed over one by one (`onElement`). */
  elements: ReadonlySet<string>;
  onValue(key: string, raw: Buffer): void;
  /** An array element's raw bytes (an object or any JSON value but a bare scalar). */
  onElement(key: string, raw: Buffer): void;
  /** The array value of an `elements` key has closed (all its elements were handed over). */
  onArrayEnd?(key: string): void;
}

/** Scans a JSON document chunk by chunk; throws on structure it cannot follow. `end()` checks it is complete. */
export class TopLevelJsonScanner {
  private depth = 0;
  private inString = false;
  private escape = false;
  private expectKey = false;
  private keyParts: Buffer[] | null = null;
  private keyStart = -1;
  private key = '';
  /** 'value' captures depth-2 containers of `values` keys, 'element' depth-3 containers of `elements` keys. */
  private capture: 'value' | 'element' | null = null;
  private captureParts: Buffer[] = [];
  private captureStart = -1;
  private started = false;
  private finished = false;

  constructor(private readonly handlers: TopLevelHandlers) {}

  write(chunk: Buffer): void {
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const b = chunk[i];
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === BACKSLASH) this.escape = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.keyParts) {
            this.keyParts.push(chunk.subarray(this.keyStart, i));
            this.key = Buffer.concat(this.keyParts).toString('utf8');
            this.keyParts = null;
          }
        }
        continue;
      }
      if (b === QUOTE) {
        this.inString = true;
        if (this.depth === 1 && this.expectKey) {
          this.keyParts = [];
          this.keyStart = i + 1;
        }
      } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
        if (this.depth === 0) {
          if (this.started) throw new Error('JSON: more than one top-level value');
          if (b !== OPEN_OBJECT) throw new Error('JSON: the top level is not an object');
          this.started = true;
          this.expectKey = true;
        }
        this.depth++;
        if (this.depth === 2 && this.handlers.values.has(this.key)) this.beginCapture('value', i);
        else if (this.depth === 2 && this.handlers.elements.has(this.key) && b !== OPEN_ARRAY) {
          throw new Error(`JSON: "${this.key}" is not an array`);
        } else if (this.depth === 3 && this.handlers.elements.has(this.key)) this.beginCapture('element', i);
      } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
        if (this.depth === 0) throw new Error('JSON: unbalanced brackets');
        if (this.depth === 3 && this.capture === 'element') this.endCapture(chunk, i, (raw) => this.handlers.onElement(this.key, raw));
        else if (this.depth === 2 && this.capture === 'value') this.endCapture(chunk, i, (raw) => this.handlers.onValue(this.key, raw));
        else if (this.depth === 2 && this.handlers.elements.has(this.key)) this.handlers.onArrayEnd?.(this.key);
        this.depth--;
        if (this.depth === 0) this.finished = true;
      } else if (this.depth === 1) {
        if (b === COLON) this.expectKey = false;
        else if (b === COMMA) this.expectKey = true;
      }
    }
    // Parts that outlive this chunk are copied: a stream may reuse its buffers.
    if (this.keyParts && this.inString) {
      this.keyParts.push(Buffer.from(chunk.subarray(this.keyStart)));
      this.keyStart = 0;
    }
    if (this.capture) {
      this.captureParts.push(Buffer.from(chunk.subarray(this.captureStart)));
      this.captureStart = 0;
    }
  }

  /** Throws unless a whole top-level object was read. */
  end(): void {
    if (!this.finished || this.inString) throw new Error('JSON: the document ends before its top-level object closes');
  }

  private beginCapture(kind: 'value' | 'element', at: number): void {
    this.capture = kind;
    this.captureParts = [];
    this.captureStart = at;
  }

  private endCapture(chunk: Buffer, at: number, deliver: (raw: Buffer) => void): void {
    this.captureParts.push(chunk.subarray(this.captureStart, at + 1));
    const raw = this.captureParts.length === 1 ? this.captureParts[0] : Buffer.concat(this.captureParts);
    this.capture = null;
    this.captureParts = [];
    this.captureStart = -1;
    deliver(raw);
  }
}
