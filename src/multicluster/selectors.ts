/**
 * Kubernetes LabelSelector objects (matchLabels + matchExpressions), as a
 * Link's `selector` / `remoteDiscoverySelector` carries them: parsed from the
 * label-query syntax (`a=b,c!=d,e in (f,g),!h`) as `metav1.ParseToLabelSelector`
 * does (equality goes to matchLabels, the rest to matchExpressions, sorted by
 * key, set values sorted), matched against labels, and printed back in that
 * syntax for messages.
 */
import { DNS_SUBDOMAIN_FORMAT, isDnsSubdomain } from '../cli-kit.js';
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

/**
 * One requirement of a label query as kubectl and the API server read it
 * for list requests (k8s.io/apimachinery labels.Parse): besides the Link
 * selector's operators, `key>N` and `key<N` compare an integer label value.
 */
export interface LabelQueryRequirement {
  key: string;
  operator: 'in' | 'notin' | '=' | '==' | '!=' | 'gt' | 'lt' | 'exists' | '!';
  /** Sorted and unique, as labels.Parse keeps them. */
  values: string[];
}

type QueryToken = 'end' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '(';
const QUERY_SYMBOLS = new Set(['=', '!', '(', ')', ',', '>', '<']);
const QUERY_SPACE = new Set([' ', '\t', '\r', '\n']);
const QUERY_TOKENS = new Set<string>([')', ',', '!', '==', '=', '>', 'in', '<', '!=', 'notin', '(']);

/** labels.Parse's lexer: the longest operator that is a token, else a run of other characters. */
function lexQuery(text: string): Array<{ tok: QueryToken; lit: string }> {
  const items: Array<{ tok: QueryToken; lit: string }> = [];
  let i = 0;
  for (;;) {
    while (i < text.length && QUERY_SPACE.has(text[i]!)) i++;
    if (i >= text.length) {
      items.push({ tok: 'end', lit: '' });
      return items;
    }
    if (QUERY_SYMBOLS.has(text[i]!)) {
      let lit = text[i++]!;
      if (i < text.length && QUERY_TOKENS.has(lit + text[i])) lit += text[i++];
      items.push({ tok: lit as QueryToken, lit });
    } else {
      const start = i;
      while (i < text.length && !QUERY_SYMBOLS.has(text[i]!) && !QUERY_SPACE.has(text[i]!)) i++;
      const lit = text.slice(start, i);
      items.push({ tok: lit === 'in' || lit === 'notin' ? lit : 'id', lit });
    }
  }
}

const QNAME_FORMAT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QNAME = new RegExp(`^${QNAME_FORMAT}$`);
const QNAME_RULE = `must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${QNAME_FORMAT}')`;

/** The API server's reasons a label key is invalid (IsQualifiedName), or none. */
function labelKeyProblems(key: string): string[] {
  const parts = key.split('/');
  if (parts.length > 2) return [`a qualified name ${QNAME_RULE} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  const problems: string[] = [];
  const name = parts.at(-1)!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === '') problems.push('prefix part must be non-empty');
    else {
      if (prefix.length > 253) problems.push('prefix part must be no more than 253 characters');
      // The pattern alone (its length is said above).
      if (!prefix.split('.').every((label) => isDnsSubdomain(label))) {
        problems.push(`prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${DNS_SUBDOMAIN_FORMAT}')`);
      }
    }
  }
  if (name === '') problems.push('name part must be non-empty');
  else if (name.length > 63) problems.push('name part must be no more than 63 characters');
  if (!QNAME.test(name)) problems.push(`name part ${QNAME_RULE}`);
  return problems;
}

/** The API server's reasons a label value is invalid (IsValidLabelValue), or none. */
function labelValueProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 63) problems.push('must be no more than 63 characters');
  if (!new RegExp(`^(${QNAME_FORMAT})?$`).test(value)) {
    problems.push(`a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(${QNAME_FORMAT})?')`);
  }
  return problems;
}

/** Go's field.Invalid(path, value, detail).Error(). */
const invalidField = (path: string, value: string, detail: string) => `${path}: Invalid value: ${JSON.stringify(value)}: ${detail}`;

/** Go's strconv.ParseInt(s, 10, 64) succeeds. */
function isInt64(s: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(s)) return false;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

/**
 * A label query as kubectl sends it with `-l` for a list (labels.Parse):
 * the Link selector's syntax plus `key>N` / `key<N`. Bad input is a usage
 * error naming the flag, with the reason the API server would give.
 */
export function parseLabelQuery(text: string, flag = '--selector'): LabelQueryRequirement[] {
  const bad = (why: string) => new UsageError(`invalid ${flag} "${text}": ${why}`, 'Use label-query syntax, e.g. "app=web,tier in (a,b),!legacy,rank>2".');
  const items = lexQuery(text);
  let pos = 0;
  // As labels.Parse: where a value is expected, "in" and "notin" are values.
  const asValue = (t: QueryToken): QueryToken => (t === 'in' || t === 'notin' ? 'id' : t);
  const lookahead = () => ({ ...items[pos]!, tok: asValue(items[pos]!.tok) });
  const consume = (values = true) => {
    const item = items[pos++]!;
    return values ? { ...item, tok: asValue(item.tok) } : item;
  };
  class RequirementError extends Error {}
  const fail = (why: string): never => {
    throw new RequirementError(why);
  };

  const parseValues = (): string[] => {
    const open = consume();
    if (open.tok !== '(') fail(`found '${open.lit}' expected: '('`);
    const first = lookahead();
    if (first.tok === ')') {
      consume();
      return [''];
    }
    if (first.tok !== 'id' && first.tok !== ',') fail(`found '${first.lit}', expected: ',', ')' or identifier`);
    const values = new Set<string>();
    for (;;) {
      const t = consume();
      if (t.tok === 'id') {
        values.add(t.lit);
        const after = lookahead();
        if (after.tok === ',') continue;
        if (after.tok === ')') break;
        fail(`found '${after.lit}', expected: ',' or ')'`);
      } else if (t.tok === ',') {
        // "(,", ",," and ",)" hold empty values.
        if (values.size === 0) values.add('');
        const after = lookahead();
        if (after.tok === ')') {
          values.add('');
          break;
        }
        if (after.tok === ',') values.add('');
      } else fail(`found '${t.lit}', expected: ',', or identifier`);
    }
    if (consume().tok !== ')') fail(`found '${first.lit}', expected: ')'`);
    return [...values];
  };

  const parseRequirement = (): LabelQueryRequirement => {
    let t = consume();
    let operator: LabelQueryRequirement['operator'] | undefined;
    if (t.tok === '!') {
      operator = '!';
      t = consume();
    }
    if (t.tok !== 'id') fail(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyProblems = labelKeyProblems(key);
    if (keyProblems.length > 0) fail(invalidField('<nil>', key, keyProblems.join('; ')));
    const next = lookahead().tok;
    if (operator === undefined && (next === 'end' || next === ',')) operator = 'exists';
    if (operator === 'exists' || operator === '!') return { key, operator, values: [] };
    const op = consume(false);
    const operators: Partial<Record<QueryToken, LabelQueryRequirement['operator']>> = { in: 'in', notin: 'notin', '=': '=', '==': '==', '!=': '!=', '>': 'gt', '<': 'lt' };
    operator = operators[op.tok];
    if (operator === undefined) return fail(`found '${op.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    let values: string[];
    if (operator === 'in' || operator === 'notin') values = parseValues();
    else {
      const v = lookahead();
      if (v.tok === 'end' || v.tok === ',') values = [''];
      else {
        const value = consume();
        if (value.tok !== 'id') fail(`found '${value.lit}', expected: identifier`);
        values = [value.lit];
      }
    }
    values = [...new Set(values)].sort();
    const problems: string[] = [];
    if (operator === 'gt' || operator === 'lt') {
      values.forEach((v, i) => {
        if (!isInt64(v)) problems.push(invalidField(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
    }
    values.forEach((v, i) => {
      const p = labelValueProblems(v);
      if (p.length > 0) problems.push(invalidField(`values[${i}][${key}]`, v, p.join('; ')));
    });
    if (problems.length > 0) fail(problems.length === 1 ? problems[0]! : `[${problems.join(', ')}]`);
    return { key, operator, values };
  };

  const requirements: LabelQueryRequirement[] = [];
  for (;;) {
    const t = lookahead();
    if (t.tok === 'end') break;
    if (t.tok !== 'id' && t.tok !== '!') throw bad(`found '${t.lit}', expected: !, identifier, or 'end of string'`);
    try {
      requirements.push(parseRequirement());
    } catch (err) {
      if (err instanceof RequirementError) throw bad(`unable to parse requirement: ${err.message}`);
      throw err;
    }
    const after = consume();
    if (after.tok === 'end') break;
    if (after.tok !== ',') throw bad(`found '${after.lit}', expected: ',' or 'end of string'`);
    const following = lookahead();
    if (following.tok !== 'id' && following.tok !== '!') throw bad(`found '${following.lit}', expected: identifier after ','`);
  }
  return requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
