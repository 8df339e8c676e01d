/**
 * One raw HTTPS request to an API server, without a Kubernetes client: for
 * tests of the test API server itself and for the kubectl stand-in.
 */
import https from 'node:https';

export interface HttpsTarget {
  server: string;
  ca?: string;
  /** Client certificate and key (PEM), when the identity is a certificate. */
  cert?: string;
  key?: string;
  /** Bearer token, when the identity is a token. */
  token?: string;
  /** A keep-alive agent for these TLS settings (default: a new connection per request). */
  agent?: https.Agent;
}

export interface HttpsReply {
  status: number;
  /** The body parsed as JSON; undefined when it is not JSON. */
  body: unknown;
  text: string;
}

export interface HttpsRequestOptions {
  /** A string goes as it is; anything else as JSON. */
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** Abandon the request (an error) after this long without an answer. */
  timeoutMs?: number;
}

export function httpsRequest(t: HttpsTarget, method: string, path: string, opts: HttpsRequestOptions = {}): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
    if (t.token) headers.Authorization = `Bearer ${t.token}`;
    if (payload !== undefined) headers['Content-Type'] = opts.contentType ?? 'application/json';
    const r = https.request(new URL(path, t.server), { method, headers, ca: t.ca, cert: t.cert, key: t.key, agent: t.agent ?? false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body, text });
      });
    });
    r.on('error', reject);
    if (opts.timeoutMs !== undefined) r.setTimeout(opts.timeoutMs, () => r.destroy(new Error(`${method} ${path} on ${t.server}: no answer within ${opts.timeoutMs} ms`)));
    r.end(payload);
  });
}
