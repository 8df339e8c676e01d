/**
 * Helm's `--set` syntax (helm.sh/helm/v3/pkg/strvals), reimplemented:
 *
 *   a.b=c,d=e        nested keys, several assignments separated by commas
 *   list={x,y}       a list value
 *   a[0].b=c, a[1]=x list indexes (the list grows with nulls as needed)
 *   a\.b=c, x=1\,2   a backslash escapes the next character (dots, commas...)
 *
 * Values are typed as Helm types them for `--set` (true/false, null, integers
 * without a leading zero; everything else, floats included, stays a string),
 * kept as strings for `--set-string`, or read from a file for `--set-file`.
 */
import { UsageError } from '../errors.js';

export type SetMode = 'typed' | 'string' | 'file';

const MAX_INDEX = 65536;
const MAX_NESTING = 30;

type Map = Record<string, unknown>;

/** Helm's type inference for `--set` values. */
export function typedValue(raw: string): unknown {
  const lower = raw.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (raw === '0') return 0;
  if (raw.length > 0 && raw[0] !== '0' && /^[-+]?\d+$/.test(raw)) {
    const n = Number(raw);
    // strconv.ParseInt(…, 64) fails beyond int64; such values stay strings.
    if (Number.isSafeInteger(n)) return n;
    if (BigInt(raw) <= 9223372036854775807n && BigInt(raw) >= -9223372036854775808n) return n;
  }
  return raw;
}

class EOF {}
const eof = new EOF();

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}
  read(): string | EOF {
    if (this.pos >= this.text.length) return eof;
    const cp = this.text.codePointAt(this.pos)!;
    const ch = String.fromCodePoint(cp);
    this.pos += ch.length;
    return ch;
  }
  unread(ch: string): void {
    this.pos -= ch.length;
  }
  /** Runes up to (not including) a stop rune; backslash escapes. */
  until(stop: string): { text: string; last: string | EOF } {
    let out = '';
    for (;;) {
      const r = this.read();
      if (r instanceof EOF) return { text: out, last: eof };
      if (stop.includes(r)) return { text: out, last: r };
      if (r === '\\') {
        const next = this.read();
        if (next instanceof EOF) return { text: out, last: eof };
        out += next;
      } else out += r;
    }
  }
}

class ParseError extends Error {}

class Parser {
  private readonly sc: Scanner;
  constructor(
    text: string,
    private readonly reader: (raw: string) => unknown,
  ) {
    this.sc = new Scanner(text);
  }

  parse(data: Map): void {
    for (;;) {
      const done = this.key(data, 0);
      if (done) return;
    }
  }

  /** Parses one assignment into data; true when the input is exhausted. */
  private key(data: Map, level: number): boolean {
    const { text: k, last } = this.sc.until('=[,.');
    if (last instanceof EOF) {
      if (k.length === 0) return true;
      throw new ParseError(`key "${k}" has no value`);
    }
    switch (last) {
      case '[': {
        const i = this.keyIndex();
        const existing = data[k];
        const list = Array.isArray(existing) ? existing : [];
        const { list: next, done } = this.listItem(list, i, level);
        data[k] = next;
        return done;
      }
      case '=': {
        const list = this.valList();
        if (list === 'eof') {
          data[k] = '';
          return true;
        }
        if (list !== 'notlist') {
          data[k] = list.value;
          return list.done;
        }
        const { text: raw, last: end } = this.sc.until(',');
        data[k] = this.reader(raw);
        return end instanceof EOF;
      }
      case ',':
        throw new ParseError(`key "${k}" has no value (cannot end with ,)`);
      case '.': {
        if (level + 1 > MAX_NESTING) throw new ParseError(`value name nested level is greater than maximum supported nested level of ${MAX_NESTING}`);
        const existing = data[k];
        const inner: Map = existing && typeof existing === 'object' && !Array.isArray(existing) ? (existing as Map) : {};
        const done = this.key(inner, level + 1);
        if (Object.keys(inner).length === 0) throw new ParseError(`key map "${k}" has no value`);
        data[k] = inner;
        return done;
      }
    }
    throw new ParseError(`parse error: unexpected "${last}"`);
  }

  private keyIndex(): number {
    const { text, last } = this.sc.until(']');
    if (last instanceof EOF) throw new ParseError('unterminated list index: missing "]"');
    if (!/^[-+]?\d+$/.test(text.trim())) throw new ParseError(`invalid list index "${text}"`);
    const i = Number(text.trim());
    if (i < 0) throw new ParseError('negative list index');
    if (i > MAX_INDEX) throw new ParseError(`index of ${i} is greater than maximum supported index value of ${MAX_INDEX}`);
    return i;
  }

  private listItem(list: unknown[], i: number, level: number): { list: unknown[]; done: boolean } {
    const { text: k, last } = this.sc.until('[.=');
    if (k.length > 0) throw new ParseError(`unexpected data at end of array index: "${k}"`);
    if (last instanceof EOF) throw new ParseError('list index must be followed by "=", "." or "["');
    switch (last) {
      case '=': {
        const vl = this.valList();
        if (vl === 'eof') return { list: setIndex(list, i, ''), done: true };
        if (vl !== 'notlist') return { list: setIndex(list, i, vl.value), done: vl.done };
        const { text: raw, last: end } = this.sc.until(',');
        return { list: setIndex(list, i, this.reader(raw)), done: end instanceof EOF };
      }
      case '[': {
        const next = this.keyIndex();
        const current = Array.isArray(list[i]) ? (list[i] as unknown[]) : [];
        const r = this.listItem(current, next, level);
        return { list: setIndex(list, i, r.list), done: r.done };
      }
      case '.': {
        const current = list[i];
        const inner: Map = current && typeof current === 'object' && !Array.isArray(current) ? (current as Map) : {};
        const done = this.key(inner, level);
        return { list: setIndex(list, i, inner), done };
      }
    }
    throw new ParseError(`parse error: unexpected token "${last}"`);
  }

  /** `{a,b}` → list; 'notlist' when the value does not start with `{`. */
  private valList(): { value: unknown[]; done: boolean } | 'notlist' | 'eof' {
    const r = this.sc.read();
    if (r instanceof EOF) return 'eof';
    if (r !== '{') {
      this.sc.unread(r);
      return 'notlist';
    }
    const list: unknown[] = [];
    for (;;) {
      const { text, last } = this.sc.until(',}');
      if (last instanceof EOF) throw new ParseError("list must terminate with '}'");
      list.push(this.reader(text));
      if (last === '}') {
        // A following comma belongs to this list; anything else starts the next key.
        const n = this.sc.read();
        if (n instanceof EOF) return { value: list, done: true };
        if (n !== ',') this.sc.unread(n);
        return { value: list, done: false };
      }
    }
  }
}

function setIndex(list: unknown[], i: number, value: unknown): unknown[] {
  const out = list.slice();
  while (out.length <= i) out.push(null);
  out[i] = value;
  return out;
}

/**
 * Parse one `--set`-style expression into `target` (mutated, as Helm's
 * ParseInto does). `flag` names the flag in error messages.
 */
export function parseSetInto(expr: string, target: Record<string, unknown>, mode: SetMode, readFile?: (path: string) => string): void {
  const flag = mode === 'typed' ? '--set' : mode === 'string' ? '--set-string' : '--set-file';
  const reader =
    mode === 'typed'
      ? typedValue
      : mode === 'string'
        ? (raw: string) => raw
        : (raw: string) => {
            if (!readFile) throw new ParseError('no file reader');
            return readFile(raw);
          };
  try {
    new Parser(expr, reader).parse(target);
  } catch (err) {
    if (err instanceof ParseError) {
      throw new UsageError(`cannot parse ${flag} "${expr}": ${err.message}`, `Use ${flag} key=value, key.sub=value, list={a,b} or list[0].key=value (escape literal dots and commas with a backslash).`);
    }
    throw err;
  }
}
