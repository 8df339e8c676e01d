/**
 * One HTTP GET to a port of a pod, through the API server: by port-forward
 * (`pods/portforward`, a WebSocket speaking v4.channel.k8s.io, as upstream's
 * CLI and kubectl reach admin ports) or by the API server's pod proxy
 * (`pods/proxy`), which works where upgrades are refused.
 *
 * Why not @kubernetes/client-node's PortForward: it connects without a
 * handshake deadline, turns every refusal into "Unexpected server response"
 * (no Status, so no verb or resource to name), writes close frames to
 * the standard output by default, and would load client-node on every run. The
 * protocol itself is small: a channel byte before each message, the port
 * number first on each channel. The WebSocket is `ws`; the HTTP exchange over
 * the forwarded stream is Node's own http client.
 */
import http from 'node:http';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { McError } from '../errors.js';
import type { KubeClient } from './client.js';
import { pathOf, type ResourceRef } from './resources.js';

export interface PodPort {
  namespace: string;
  pod: string;
  port: number;
}

export interface PodHttpReply {
  status: number;
  body: string;
}

const PROTOCOL = 'v4.channel.k8s.io';

/** The reference RBAC sees for a pod subresource (for messages and hints). */
export function podSubresourceRef(target: PodPort, subresource: 'portforward' | 'proxy'): ResourceRef {
  return { apiVersion: 'v1', resource: 'pods', namespace: target.namespace, name: target.pod, subresource };
}

/** The port-forward WebSocket was not accepted (RBAC, a proxy that blocks upgrades, an old server): pods/proxy may still work. */
export class PortForwardRefused extends McError {
  constructor(
    message: string,
    hint: string | undefined,
    readonly status: number,
    override readonly cause?: Error,
  ) {
    super(message, hint);
    this.name = 'PortForwardRefused';
  }
}

/** A deadline passed: what was waited for is in the message. */
export class PodHttpTimeout extends McError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'PodHttpTimeout';
  }
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))}s`;

function describe(target: PodPort): string {
  return `pod ${target.namespace}/${target.pod} port ${target.port}`;
}

/** GET `path` of the pod's port through the API server's pod proxy. */
export async function podProxyGet(client: KubeClient, target: PodPort, path: string, timeoutMs: number): Promise<PodHttpReply> {
  const ref = podSubresourceRef(target, 'proxy');
  const url = `${pathOf({ ...ref, name: undefined, subresource: undefined })}/${encodeURIComponent(target.pod)}:${target.port}/proxy${path}`;
  try {
    return { status: 200, body: await client.getText(ref, url, timeoutMs) };
  } catch (err) {
    if ((err as { reason?: string }).reason === 'Timeout') {
      throw new PodHttpTimeout(`no answer from ${describe(target)} within ${seconds(timeoutMs)} (GET ${path} through the pod proxy of context "${client.contextName}")`);
    }
    throw err;
  }
}

/**
 * The forwarded connection of an open port-forward WebSocket: channel 0 as a
 * stream (the port number that starts each channel skipped), and what the
 * kubelet said on the error channel.
 */
function forwardedStream(ws: WebSocket): { conn: Duplex; forwardError: () => string } {
  const channels = new Map<number, number>(); // channel -> port-number bytes still to skip
  let forwardError = '';
  const conn = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      ws.send(Buffer.concat([Buffer.from([0]), chunk]), cb);
    },
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0) return;
    const channel = data[0]!;
    let payload = data.subarray(1);
    const skip = channels.has(channel) ? channels.get(channel)! : 2;
    if (skip > 0) {
      channels.set(channel, Math.max(0, skip - payload.length));
      payload = payload.subarray(skip);
    }
    if (payload.length === 0) return;
    if (channel === 0) conn.push(payload);
    else if (channel === 1) forwardError += payload.toString('utf8');
  });
  ws.on('close', () => conn.push(null));
  return { conn, forwardError: () => forwardError };
}

/** What a use of the forwarded connection gets: the stream, the kubelet's error text, and how to end. */
interface Forwarded<T> {
  conn: Duplex;
  forwardError: () => string;
  finish: (err: Error | undefined, value?: T) => void;
  /** What is being waited for, for the timeout message. */
  setPhase: (phase: string) => void;
}

/**
 * Open a port-forward WebSocket to the pod's port and hand its connection to
 * `use`; the whole exchange (handshake included) must finish within `timeoutMs`.
 */
function withPortForward<T>(client: KubeClient, target: PodPort, timeoutMs: number, signal: AbortSignal | undefined, use: (f: Forwarded<T>) => void): Promise<T> {
  const { server, headers, agent } = client.transport();
  const ref = podSubresourceRef(target, 'portforward');
  const url = new URL(`${pathOf(ref)}?ports=${target.port}`, server);
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let phase = 'waiting for the API server to accept the port-forward';
    const ws = new WebSocket(url, [PROTOCOL], { agent, headers, perMessageDeflate: false });
    const finish = (err: Error | undefined, value?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      ws.removeAllListeners('message');
      ws.terminate();
      if (err) reject(err);
      else resolve(value!);
    };
    const onAbort = () => finish(new McError(`interrupted: the port-forward to ${describe(target)} was closed`));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => finish(new PodHttpTimeout(`no answer from ${describe(target)} within ${seconds(timeoutMs)} (port-forward through context "${client.contextName}": ${phase})`)), timeoutMs);
    ws.on('error', (err) => {
      if (settled) return;
      // Failures before the upgrade (TLS, connection refused) are the API server's, as for any request.
      const code = (err as NodeJS.ErrnoException).code;
      finish(new McError(`cannot port-forward to ${describe(target)}: the API server of context "${client.contextName}" (${server.origin}) is unreachable (${code ?? err.message})`, 'Check that the cluster is running and that the kubeconfig points at the right address.'));
    });
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const apiErr = client.errorFor(status, Buffer.concat(chunks).toString('utf8'), 'get', ref);
        // 401 is the credentials', 404 a missing pod, 5xx the server's: pods/proxy would fail the same way.
        if (status === 401 || status === 404 || status >= 500) finish(apiErr);
        else finish(new PortForwardRefused(`the API server refused to port-forward to ${describe(target)} (HTTP ${status}): ${apiErr.message}`, apiErr.hint, status, apiErr));
      });
      res.on('error', (err) => finish(err));
    });
    ws.on('open', () => {
      if (ws.protocol !== PROTOCOL) {
        finish(new PortForwardRefused(`the API server answered the port-forward to ${describe(target)} without the ${PROTOCOL} protocol`, undefined, 101));
        return;
      }
      const { conn, forwardError } = forwardedStream(ws);
      ws.on('close', () => {
        if (forwardError()) finish(new McError(`the port-forward to ${describe(target)} failed: ${forwardError().trim()}`, `Is the pod's admin server listening on port ${target.port}?`));
      });
      use({ conn, forwardError, finish, setPhase: (p) => (phase = p) });
    });
  });
}

/**
 * GET `path` of the pod's port through a port-forward WebSocket. The whole
 * exchange (handshake, request, answer) must finish within `timeoutMs`.
 */
export function portForwardGet(client: KubeClient, target: PodPort, path: string, timeoutMs: number, signal?: AbortSignal): Promise<PodHttpReply> {
  return withPortForward<PodHttpReply>(client, target, timeoutMs, signal, ({ conn, forwardError, finish, setPhase }) => {
    setPhase(`sending GET ${path}`);
    const req = http.request({ createConnection: () => conn as never, method: 'GET', path, headers: { Host: `localhost:${target.port}`, Accept: 'text/plain', Connection: 'close' } }, (res) => {
      setPhase(`reading the answer to GET ${path}`);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => finish(err));
    });
    req.on('error', (err) => {
      // The stream closed before an answer: the channel-1 error (if any) says why.
      setImmediate(() => finish(new McError(`the port-forward to ${describe(target)} closed before an answer to GET ${path}${forwardError() ? `: ${forwardError().trim()}` : ` (${err.message})`}`)));
    });
    req.end();
    setPhase(`waiting for the answer to GET ${path}`);
  });
}

/**
 * The certificate chain (PEM, leaf first) a TLS server on the pod's port
 * presents for `serverName`, as upstream's `linkerd identity` reads a
 * proxy's certificate from its admin port. The handshake is only for reading
 * the certificate: nothing is sent over it and nothing it says is trusted, so
 * it is not verified here; the caller checks the chain itself.
 */
export function portForwardCertificates(client: KubeClient, target: PodPort, serverName: string, timeoutMs: number, signal?: AbortSignal): Promise<string[]> {
  return withPortForward<string[]>(client, target, timeoutMs, signal, ({ conn, forwardError, finish, setPhase }) => {
    setPhase(`TLS handshake as ${serverName}`);
    const socket = tls.connect({ socket: conn as never, servername: serverName, rejectUnauthorized: false });
    socket.once('secureConnect', () => {
      const chain: string[] = [];
      let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
      while (cert?.raw && !chain.some((c) => c === pem(cert!.raw))) {
        chain.push(pem(cert.raw));
        cert = cert.issuerCertificate;
      }
      socket.destroy();
      if (chain.length === 0) finish(new McError(`${describe(target)} presented no certificate for ${serverName}`));
      else finish(undefined, chain);
    });
    socket.once('error', (err) => {
      setImmediate(() => finish(new McError(`no TLS certificate from ${describe(target)} for ${serverName}${forwardError() ? `: ${forwardError().trim()}` : ` (${err.message})`}`)));
    });
  });
}

const pem = (der: Buffer) => new X509Certificate(der).toString();
