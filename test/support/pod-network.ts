/**
 * What a test cluster's pods answer on their ports, and the two ways the API
 * server reaches them: the `pods/portforward` subresource over WebSocket (the
 * v4.channel.k8s.io protocol that @kubernetes/client-node's PortForward and
 * kubelet's WebSocket port-forward speak) and the `pods/proxy` subresource
 * (`/api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH`).
 *
 * v4.channel.k8s.io for port-forward: every binary message starts with a
 * channel byte; per forwarded port, channel 2i carries data and 2i+1 errors,
 * and the first two bytes the server sends on each channel are the port
 * number (little endian). Data the client sends goes on channel 0.
 */
import http from 'node:http';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Pod } from './kinds.js';

/** What a pod's port answers to one HTTP request; 'refused' when nothing listens. */
export type PodHttpAnswer = { status: number; contentType?: string; body: string } | 'refused';
export type PodHttpHandler = (request: { method: string; path: string }) => PodHttpAnswer | Promise<PodHttpAnswer>;
/** Finds what listens on `port` of `pod` (a stored Pod object); undefined when nothing does. */
export type PodPortResolver = (pod: Pod, port: number) => PodHttpHandler | undefined;

/**
 * A port that also speaks TLS, as a Linkerd proxy's admin port does: a
 * connection that starts with a TLS handshake naming `serverName` (SNI) is
 * answered with `credentials` (the certificate chain and its key); any other
 * name fails the handshake.
 */
export interface PodTlsIdentity {
  serverName: string;
  credentials(): Promise<{ certPem: string; keyPem: string }>;
}
export type PodTlsResolver = (pod: Pod, port: number) => PodTlsIdentity | undefined;

export const PORT_FORWARD_PROTOCOL = 'v4.channel.k8s.io';

/** One secure context per credentials object: a proxy answers every handshake with the same certificate. */
const secureContexts = new WeakMap<object, tls.SecureContext>();
function secureContextOf(credentials: { certPem: string; keyPem: string }): tls.SecureContext {
  let context = secureContexts.get(credentials);
  if (!context) secureContexts.set(credentials, (context = tls.createSecureContext({ cert: credentials.certPem, key: credentials.keyPem })));
  return context;
}

/** The pod ports of one test cluster (resolvers are tried in the order they were added). */
export class PodNetwork {
  private readonly resolvers: PodPortResolver[] = [];
  private readonly tlsResolvers: PodTlsResolver[] = [];
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has(PORT_FORWARD_PROTOCOL) ? PORT_FORWARD_PROTOCOL : false),
  });

  /** Let `resolver` answer for pod ports; returns the function that removes it. */
  serve(resolver: PodPortResolver): () => void {
    this.resolvers.push(resolver);
    return () => {
      const i = this.resolvers.indexOf(resolver);
      if (i >= 0) this.resolvers.splice(i, 1);
    };
  }

  /** Let `resolver` say which pod ports speak TLS, and as whom; returns the function that removes it. */
  serveTls(resolver: PodTlsResolver): () => void {
    this.tlsResolvers.push(resolver);
    return () => {
      const i = this.tlsResolvers.indexOf(resolver);
      if (i >= 0) this.tlsResolvers.splice(i, 1);
    };
  }

  tlsFor(pod: Pod, port: number): PodTlsIdentity | undefined {
    for (const r of this.tlsResolvers) {
      const t = r(pod, port);
      if (t) return t;
    }
    return undefined;
  }

  handlerFor(pod: Pod, port: number): PodHttpHandler | undefined {
    for (const r of this.resolvers) {
      const h = r(pod, port);
      if (h) return h;
    }
    return undefined;
  }

  /** The message a kubelet gives when nothing listens on the port. */
  static refusedMessage(pod: Pod, port: number): string {
    return `error forwarding port ${port} to pod ${pod.metadata.uid ?? pod.metadata.name}, uid : failed to execute portforward in network namespace: failed to connect to localhost:${port} inside namespace: dial tcp4 127.0.0.1:${port}: connect: connection refused`;
  }

  /**
   * Answer an authorized upgrade request for pods/portforward: a WebSocket
   * whose channel 0 is an HTTP connection to the pod's port.
   */
  portForward(req: http.IncomingMessage, socket: Duplex, head: Buffer, pod: Pod, port: number): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.forward(ws, pod, port));
  }

  private forward(ws: WebSocket, pod: Pod, port: number): void {
    const prefix = (channel: number) => Buffer.from([channel, port & 0xff, (port >> 8) & 0xff]);
    ws.send(prefix(0));
    ws.send(prefix(1));
    const handler = this.handlerFor(pod, port);
    const identity = this.tlsFor(pod, port);
    if (!handler && !identity) {
      ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(PodNetwork.refusedMessage(pod, port))]));
      ws.close(1000);
      return;
    }
    // The pod's end of the forwarded connection, fed to an HTTP server that never listens.
    const podSide = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        if (ws.readyState !== ws.OPEN) return cb();
        ws.send(Buffer.concat([Buffer.from([0]), chunk]), cb);
      },
      final(cb) {
        ws.close(1000);
        cb();
      },
    });
    let started = false;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary || data.length < 1 || data[0] !== 0) return;
      const payload = data.subarray(1);
      // The first byte says what the client speaks: 0x16 opens a TLS handshake.
      if (!started && payload.length > 0) {
        started = true;
        start(payload[0] === 0x16);
      }
      podSide.push(payload);
    });
    ws.on('close', () => {
      podSide.push(null);
      podSide.destroy();
    });
    ws.on('error', () => podSide.destroy());
    // Nothing listening after all: the kubelet's dial fails, its error goes on channel 1, the stream closes.
    const refuse = () => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(PodNetwork.refusedMessage(pod, port))]));
      ws.close(1000);
    };
    const start = (handshake: boolean) => {
      const server = handler ? http.createServer((request, response) => void this.answer(handler, request, response, refuse)) : undefined;
      if (handshake && identity) {
        const secure = new tls.TLSSocket(podSide, {
          isServer: true,
          SNICallback: (name, cb) => {
            if (name !== identity.serverName) return cb(new Error(`no certificate for ${name}`));
            identity.credentials().then((c) => cb(null, secureContextOf(c)), cb);
          },
        });
        // A failed handshake closes the forwarded connection (the client sees it end), as the proxy drops it.
        secure.on('error', (err) => {
          if (process.env.MC_TESTAPI_DEBUG) console.error('DEBUG pod TLS', pod.metadata.name, err.message);
          podSide.destroy();
          ws.close(1000);
        });
        if (server) server.emit('connection', secure);
        return;
      }
      if (server) server.emit('connection', podSide);
      else refuse();
    };
  }

  private async answer(handler: PodHttpHandler, req: http.IncomingMessage, res: http.ServerResponse, refuse: () => void): Promise<void> {
    const answer = await handler({ method: req.method ?? 'GET', path: req.url ?? '/' });
    if (answer === 'refused') return refuse();
    res.writeHead(answer.status, { 'Content-Type': answer.contentType ?? 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(answer.body)), Connection: 'close' });
    res.end(answer.body);
  }

  /**
   * Answer an authorized pods/proxy request as the API server does: the pod's
   * answer as it is, or a 503 Status when nothing listens.
   */
  async proxy(pod: Pod, port: number, method: string, path: string): Promise<{ status: number; contentType: string; body: string }> {
    const handler = this.handlerFor(pod, port);
    const refused = () => ({
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `error trying to reach service: dial tcp ${pod.status?.podIP ?? '10.244.0.1'}:${port}: connect: connection refused`, reason: 'ServiceUnavailable', code: 503 }),
    });
    if (!handler) return refused();
    const answer = await handler({ method, path });
    if (answer === 'refused') return refused();
    return { status: answer.status, contentType: answer.contentType ?? 'text/plain; charset=utf-8', body: answer.body };
  }

  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}
