/**
 * Kubernetes LabelSelector objects (matchLabels + matchExpressions), as a
 * Link's `selector` / `remoteDiscoverySelector` carries them: parsed from the
 * label-query syntax (`a=b,c!=d,e in (f,g),!h`) as `metav1.ParseToLabelSelector`
 * does (equality goes to matchLabels, the rest to matchExpressions, sorted by
 * key, set values sorted), matched against labels, and printed back in that
 * syntax for messages.
 */
import { isDnsSubdomain } from '../cli-kit.js';
import { UsageError } from '../errors.js';

export interface LabelSelectorRequirement {
  key: string;
  /** A Link read from a cluster may carry anything here; parseLabelSelector makes only these four. */
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | (string & {});
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** A label key: an optional DNS-subdomain prefix and "/", then a name of up to 63 characters. */
export function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  return name.length > 0 && name.length <= 63 && NAME.test(name) && (prefix === undefined || isDnsSubdomain(prefix));
}

/** A label value: empty, or up to 63 characters starting and ending alphanumeric. */
export function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && NAME.test(value));
}

function checkKey(key: string, flag: string, text: string): void {
  if (!isLabelKey(key)) throw new UsageError(`invalid ${flag} "${text}": "${key}" is not a valid label key`, 'A label key is an optional DNS prefix and "/", then up to 63 letters, digits, "-", "_" or "." (starting and ending alphanumeric).');
}

function checkValue(value: string, flag: string, text: string): void {
  if (!isLabelValue(value)) {
    throw new UsageError(`invalid ${flag} "${text}": "${value}" is not a valid label value`, 'A label value is empty or up to 63 letters, digits, "-", "_" or "." (starting and ending alphanumeric).');
  }
}

type Token = { kind: 'word' | 'op' | 'punct'; text: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === ',' || c === '(' || c === ')') {
      tokens.push({ kind: 'punct', text: c });
      i++;
    } else if (text.startsWith('==', i) || text.startsWith('!=', i)) {
      tokens.push({ kind: 'op', text: text.slice(i, i + 2) });
      i += 2;
    } else if (c === '=' || c === '>' || c === '<' || c === '!') {
      tokens.push({ kind: 'op', text: c });
      i++;
    } else {
      let j = i;
      while (j < text.length && !/[\s,()=!<>]/.test(text[j]!)) j++;
      tokens.push({ kind: 'word', text: text.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

/** Parse a selector given on the command line; errors are usage errors naming the flag. */
export function parseLabelSelector(text: string, flag = '--selector'): LabelSelector {
  const tokens = tokenize(text);
  const bad = (why: string) => new UsageError(`invalid ${flag} "${text}": ${why}`, 'Use label-query syntax, e.g. "app=web,tier in (a,b),!legacy".');
  const labels = new Map<string, string>();
  const exprs: LabelSelectorRequirement[] = [];
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  while (pos < tokens.length) {
    let t = next()!;
    if (t.kind === 'op' && t.text === '!') {
      const key = next();
      if (!key || key.kind !== 'word') throw bad('"!" must be followed by a label key');
      checkKey(key.text, flag, text);
      exprs.push({ key: key.text, operator: 'DoesNotExist' });
    } else if (t.kind === 'word') {
      const key = t.text;
      checkKey(key, flag, text);
      const op = peek();
      if (!op || (op.kind === 'punct' && op.text === ',')) {
        exprs.push({ key, operator: 'Exists' });
      } else if (op.kind === 'op') {
        next();
        if (op.text === '>' || op.text === '<') throw bad(`operator "${op.text}" is not supported in a label selector`);
        const v = peek();
        let value = '';
        if (v && v.kind === 'word') {
          value = v.text;
          next();
        }
        checkValue(value, flag, text);
        if (op.text === '!=') exprs.push({ key, operator: 'NotIn', values: [value] });
        else labels.set(key, value);
      } else if (op.kind === 'word' && (op.text === 'in' || op.text === 'notin')) {
        next();
        const open = next();
        if (!open || open.text !== '(') throw bad(`"${op.text}" must be followed by "(values)"`);
        const values = new Set<string>();
        for (;;) {
          const v = next();
          if (!v) throw bad('missing ")"');
          if (v.kind === 'punct' && v.text === ')') break;
          if (v.kind === 'punct' && v.text === ',') continue;
          if (v.kind !== 'word') throw bad(`unexpected "${v.text}" in a value list`);
          checkValue(v.text, flag, text);
          values.add(v.text);
        }
        exprs.push({ key, operator: op.text === 'in' ? 'In' : 'NotIn', values: [...values].sort() });
      } else {
        throw bad(`unexpected "${op.text}" after "${key}"`);
      }
    } else {
      throw bad(`unexpected "${t.text}"`);
    }
    t = next()!;
    if (t && !(t.kind === 'punct' && t.text === ',')) throw bad(`expected "," before "${t.text}"`);
    if (t && pos >= tokens.length) throw bad('a requirement is missing after the last ","');
  }
  const selector: LabelSelector = {};
  if (labels.size > 0) selector.matchLabels = Object.fromEntries([...labels.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  if (exprs.length > 0) selector.matchExpressions = exprs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return selector;
}

/** An empty selector: upstream treats an absent Link selector as matching nothing. */
export function isEmptySelector(sel: LabelSelector | undefined): boolean {
  return !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
}

export function matchesSelector(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (l[k] !== String(v)) return false;
  }
  for (const req of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(l[req.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[req.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** `a=b,c in (d,e),!f` */
export function formatSelector(sel: LabelSelector | undefined): string {
  if (!sel) return '';
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const req of sel.matchExpressions ?? []) {
    const values = (req.values ?? []).join(',');
    switch (req.operator) {
      case 'In':
        parts.push(`${req.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${req.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(req.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${req.key}`);
        break;
      default:
        parts.push(`${req.key} ${req.operator} (${values})`);
    }
  }
  return parts.join(',');
}
