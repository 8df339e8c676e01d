/**
 * Just enough of Kubernetes' protobuf encoding to read the request bodies
 * kubectl sends with its typed clients (`kubectl auth can-i`, `create token`,
 * `create namespace`): the `k8s\0` envelope (runtime.Unknown) and a few
 * messages, decoded into their JSON form. Answers are always JSON, which
 * kubectl accepts.
 */

type Fields = Map<number, Array<number | Buffer>>;

function varint(buf: Buffer, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7;
  }
}

function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let pos = 0;
  while (pos < buf.length) {
    let tag: number;
    [tag, pos] = varint(buf, pos);
    const no = Math.floor(tag / 8);
    const wire = tag & 7;
    let v: number | Buffer;
    if (wire === 0) [v, pos] = varint(buf, pos);
    else if (wire === 2) {
      let len: number;
      [len, pos] = varint(buf, pos);
      v = buf.subarray(pos, pos + len);
      pos += len;
    } else if (wire === 1) {
      v = buf.subarray(pos, pos + 8);
      pos += 8;
    } else if (wire === 5) {
      v = buf.subarray(pos, pos + 4);
      pos += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
    const list = out.get(no) ?? [];
    list.push(v);
    out.set(no, list);
  }
  return out;
}

const str = (f: Fields, n: number): string | undefined => {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
};
const strs = (f: Fields, n: number): string[] => (f.get(n) ?? []).filter(Buffer.isBuffer).map((b) => (b as Buffer).toString('utf8'));
const num = (f: Fields, n: number): number | undefined => {
  const v = f.get(n)?.[0];
  return typeof v === 'number' ? v : undefined;
};
const msg = (f: Fields, n: number): Fields | undefined => {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? fields(v) : undefined;
};

function stringMap(f: Fields, n: number): Record<string, string> | undefined {
  const entries = (f.get(n) ?? []).filter(Buffer.isBuffer).map((b) => fields(b as Buffer));
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map((e) => [str(e, 1) ?? '', str(e, 2) ?? '']));
}

/** map<string, bytes> as JSON has it: base64 values. */
function bytesMap(f: Fields, n: number): Record<string, string> | undefined {
  const entries = (f.get(n) ?? []).filter(Buffer.isBuffer).map((b) => fields(b as Buffer));
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map((e) => {
    const v = e.get(2)?.[0];
    return [str(e, 1) ?? '', Buffer.isBuffer(v) ? v.toString('base64') : ''];
  }));
}

function clean<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined || o[k] === '') delete o[k];
  return o;
}

function objectMeta(f: Fields | undefined): Record<string, unknown> {
  if (!f) return {};
  return clean({
    name: str(f, 1),
    generateName: str(f, 2),
    namespace: str(f, 3),
    resourceVersion: str(f, 6),
    labels: stringMap(f, 11),
    annotations: stringMap(f, 12),
  });
}

const DECODERS: Record<string, (f: Fields) => Record<string, unknown>> = {
  SelfSubjectAccessReview: (f) => {
    const spec = msg(f, 2);
    const ra = spec && msg(spec, 1);
    const nra = spec && msg(spec, 2);
    return {
      spec: clean({
        resourceAttributes: ra && clean({ namespace: str(ra, 1), verb: str(ra, 2), group: str(ra, 3), version: str(ra, 4), resource: str(ra, 5), subresource: str(ra, 6), name: str(ra, 7) }),
        nonResourceAttributes: nra && clean({ path: str(nra, 1), verb: str(nra, 2) }),
      }),
    };
  },
  SelfSubjectRulesReview: (f) => ({ spec: clean({ namespace: str(msg(f, 2) ?? new Map(), 1) }) }),
  SelfSubjectReview: () => ({}),
  TokenRequest: (f) => {
    const spec = msg(f, 2) ?? new Map();
    return { metadata: objectMeta(msg(f, 1)), spec: clean({ audiences: strs(spec, 1), expirationSeconds: num(spec, 4) }) };
  },
  TokenReview: (f) => {
    const spec = msg(f, 2) ?? new Map();
    return { spec: clean({ token: str(spec, 1), audiences: strs(spec, 2) }) };
  },
  Namespace: (f) => ({ metadata: objectMeta(msg(f, 1)) }),
  ConfigMap: (f) =>
    clean({
      metadata: objectMeta(msg(f, 1)),
      data: stringMap(f, 2),
      binaryData: bytesMap(f, 3),
      immutable: num(f, 4) === undefined ? undefined : num(f, 4) === 1,
    } as Record<string, unknown>),
  Secret: (f) =>
    clean({
      metadata: objectMeta(msg(f, 1)),
      data: bytesMap(f, 2),
      type: str(f, 3),
      stringData: stringMap(f, 4),
      immutable: num(f, 5) === undefined ? undefined : num(f, 5) === 1,
    } as Record<string, unknown>),
  ServiceAccount: (f) => ({ metadata: objectMeta(msg(f, 1)) }),
};

export function isProtobuf(contentType: string | undefined): boolean {
  return (contentType ?? '').startsWith('application/vnd.kubernetes.protobuf');
}

/** Decode a protobuf request body into the JSON object it stands for. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\0') throw new Error('not a Kubernetes protobuf envelope');
  const unknown = fields(body.subarray(4));
  const typeMeta = msg(unknown, 1) ?? new Map();
  const apiVersion = str(typeMeta, 1) ?? '';
  const kind = str(typeMeta, 2) ?? '';
  const raw = unknown.get(2)?.[0];
  const decoder = DECODERS[kind];
  if (!decoder) throw new Error(`protobuf bodies of kind ${kind || '(unknown)'} are not supported by the test API server; send JSON`);
  return { apiVersion, kind, ...decoder(Buffer.isBuffer(raw) ? fields(raw) : new Map()) };
}
