/** Label and field selectors with the syntax and errors of the API server. */

export class SelectorError extends Error {}

type Req =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'gt' | 'lt'; key: string; value: bigint }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type Matcher = (labels: Record<string, string> | undefined) => boolean;

/** Split on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?)?$/;

function checkKey(k: string, whole: string): string {
  if (!KEY.test(k)) throw new SelectorError(`unable to parse requirement: invalid label key "${k}" in "${whole}"`);
  return k;
}

function checkValue(v: string, whole: string): string {
  if (!VALUE.test(v) || v.length > 63) throw new SelectorError(`unable to parse requirement: invalid label value "${v}" in "${whole}"`);
  return v;
}

/** Go's strconv.ParseInt(s, 10, 64), or undefined where it fails. */
function int64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

export function parseLabelSelector(s: string | null | undefined): Matcher {
  if (!s || s.trim() === '') return () => true;
  const reqs: Req[] = [];
  for (const part of splitTop(s)) {
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^(\S+)\s+(in|notin)\s*\((.*)\)$/))) {
      const values = m[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
      reqs.push({ op: m[2] as 'in' | 'notin', key: checkKey(m[1]!, s), values: values.map((v) => checkValue(v, s)) });
    } else if ((m = part.match(/^([^!=<>\s]+)\s*([<>])\s*([^<>=!\s]*)$/))) {
      // Gt/Lt: one integer (Go's ParseInt, 64 bits), and a valid label value besides.
      const v = m[3]!;
      const n = int64(v);
      if (n === undefined) throw new SelectorError(`unable to parse requirement: values[0]: Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
      checkValue(v, s);
      reqs.push({ op: m[2] === '>' ? 'gt' : 'lt', key: checkKey(m[1]!, s), value: n });
    } else if ((m = part.match(/^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/))) {
      reqs.push({ op: m[2] === '!=' ? 'neq' : 'eq', key: checkKey(m[1]!, s), value: checkValue(m[3]!, s) });
    } else if ((m = part.match(/^!\s*(\S+)$/))) {
      reqs.push({ op: 'notexists', key: checkKey(m[1]!, s) });
    } else if ((m = part.match(/^(\S+)$/))) {
      reqs.push({ op: 'exists', key: checkKey(m[1]!, s) });
    } else {
      throw new SelectorError(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }
  return (labels) => {
    const l = labels ?? {};
    return reqs.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(l, r.key);
      switch (r.op) {
        case 'eq':
          return has && l[r.key] === r.value;
        case 'neq':
          return !has || l[r.key] !== r.value;
        case 'in':
          return has && r.values.includes(l[r.key]!);
        case 'notin':
          return !has || !r.values.includes(l[r.key]!);
        case 'exists':
          return has;
        case 'notexists':
          return !has;
        case 'gt':
        case 'lt': {
          // A label that is not an integer matches neither.
          const v = has ? int64(l[r.key]!) : undefined;
          return v !== undefined && (r.op === 'gt' ? v > r.value : v < r.value);
        }
      }
    });
  };
}

/** Fields each kind can be selected on (besides metadata.name/metadata.namespace). */
const FIELDS: Record<string, string[]> = {
  Secret: ['type'],
  Pod: ['status.phase', 'spec.nodeName', 'spec.serviceAccountName', 'status.podIP', 'spec.restartPolicy', 'spec.schedulerName'],
  Namespace: ['status.phase'],
  Event: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'reason', 'type', 'source'],
  Job: ['status.successful'],
  ReplicaSet: ['status.replicas'],
  Node: ['spec.unschedulable'],
  CertificateSigningRequest: ['spec.signerName'],
};

function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const p of path.split('.')) cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[p] : undefined;
  if (cur === undefined || cur === null) return '';
  return String(cur);
}

export type ObjectMatcher = (obj: unknown) => boolean;

export function parseFieldSelector(s: string | null | undefined, kind: string): ObjectMatcher {
  if (!s || s.trim() === '') return () => true;
  const allowed = ['metadata.name', 'metadata.namespace', ...(FIELDS[kind] ?? [])];
  const reqs: Array<{ field: string; neg: boolean; value: string }> = [];
  for (const part of s.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = part.match(/^([^!=]+)(==|=|!=)(.*)$/);
    if (!m) throw new SelectorError(`invalid selector: '${s}'; can't understand '${part}'`);
    const field = m[1]!.trim();
    if (!allowed.includes(field)) throw new SelectorError(`field label not supported: ${field}`);
    reqs.push({ field, neg: m[2] === '!=', value: m[3]!.trim() });
  }
  return (obj) => reqs.every((r) => (fieldValue(obj, r.field) === r.value) !== r.neg);
}
