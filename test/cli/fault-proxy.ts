// A fault-injecting HTTP proxy on 127.0.0.1:0 in front of a real server: drops connections, stalls bodies,
// loses responses, answers 503 or 429, or delays requests, as a test's plan decides per request.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'pass' }
  | { kind: 'drop' }
  /** The first `bytes` bytes of the request body reach the server, then both connections die (parts before stay stored). */
  | { kind: 'cut-request'; bytes: number }
  | { kind: 'stall' }
  | { kind: 'lose-response' }
  /** The answer's head and its first `bytes` bytes reach the client, then the connection dies (a shorter body passes whole). */
  | { kind: 'truncate-response'; bytes: number }
  | { kind: 'delay'; ms: number }
  /** The server's answer reaches the client with its body rewritten (a JSON text in, a JSON text out). */
  | { kind: 'rewrite-response'; rewrite: (body: string) => string }
  /** Forwarded once `until` settles: a test holds a request back until the server shows some evidence. */
  | { kind: 'hold'; until: Promise<unknown> }
  | { kind: 'status'; status: number; error: string; retryAfter?: string };

export interface ProxiedRequest {
  method: string;
  path: string;
  /** Requests with the same method and route shape seen before this one (0 for the first). */
  index: number;
}

export interface ProxyLogEntry extends ProxiedRequest {
  fault: Fault['kind'];
  /** The request's Content-Length header, when it had one. */
  contentLength?: number;
  /** The real server's status, when the request reached it. */
  upstreamStatus?: number;
}

export interface FaultProxy {
  url: string;
  log: ProxyLogEntry[];
  close(): Promise<void>;
}

/**
 * `PUT /v1/upload-sessions/x/blobs/y` → `PUT blob`, `POST /v1/upload-sessions/x/blobs` → `POST batch`, `GET /v1/blobs/y` →
 * `GET download`, so plans can count requests by kind.
 */
export function requestKind(method: string, path: string): string {
  if (/\/blobs\/[^/]+$/.test(path) && path.startsWith('/v1/upload-sessions/')) return `${method} blob`;
  if (path.endsWith('/complete')) return `${method} complete`;
  if (/^\/v1\/upload-sessions\/[^/]+\/blobs$/.test(path)) return `${method} batch`;
  if (path.startsWith('/v1/blobs/')) return `${method} download`;
  if (path === '/v1/upload-sessions') return `${method} sessions`;
  return `${method} ${path}`;
}

export async function startFaultProxy(target: string, plan: (request: ProxiedRequest) => Fault): Promise<FaultProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const counts = new Map<string, number>();
  const log: ProxyLogEntry[] = [];

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const kind = requestKind(method, path);
    const index = counts.get(kind) ?? 0;
    counts.set(kind, index + 1);
    const fault = plan({ method, path, index });
    const declared = req.headers['content-length'];
    const entry: ProxyLogEntry = { method, path, index, fault: fault.kind, ...(declared ? { contentLength: Number(declared) } : {}) };
    log.push(entry);

    switch (fault.kind) {
      case 'drop':
        // Some of the body arrives first, as when a load balancer dies mid-request.
        req.once('data', () => req.socket.destroy());
        req.once('end', () => req.socket.destroy());
        return;
      case 'cut-request':
        forward(req, res, entry, { cutRequestAfter: fault.bytes });
        return;
      case 'stall':
        // Never read the body nor answer: the client sees no progress at all.
        req.pause();
        return;
      case 'status':
        req.resume();
        req.once('end', () => {
          const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
          if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
          res.writeHead(fault.status, headers);
          res.end(JSON.stringify({ error: fault.error, message: `Injected ${fault.status}.` }));
        });
        return;
      case 'delay':
        req.pause();
        setTimeout(() => forward(req, res, entry, {}), fault.ms);
        return;
      case 'hold':
        req.pause();
        void fault.until.finally(() => forward(req, res, entry, {}));
        return;
      case 'lose-response':
        forward(req, res, entry, { lose: true });
        return;
      case 'truncate-response':
        forward(req, res, entry, { truncateAfter: fault.bytes });
        return;
      case 'rewrite-response':
        forward(req, res, entry, { rewrite: fault.rewrite });
        return;
      case 'pass':
        forward(req, res, entry, {});
        return;
    }
  });

  function forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    entry: ProxyLogEntry,
    answerFault: { lose?: boolean; truncateAfter?: number; cutRequestAfter?: number; rewrite?: (body: string) => string },
  ): void {
    const outgoing = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        entry.upstreamStatus = answer.statusCode;
        if (answerFault.lose) {
          // The server did the work; the client never hears about it and must retry.
          answer.resume();
          req.socket.destroy();
          return;
        }
        if (answerFault.rewrite) {
          rewriteAnswer(answer, res, answerFault.rewrite);
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (answerFault.truncateAfter !== undefined) {
          truncate(answer, res, answerFault.truncateAfter);
          return;
        }
        answer.pipe(res);
      },
    );
    outgoing.on('error', () => req.socket.destroy());
    req.on('error', () => outgoing.destroy());
    if (answerFault.cutRequestAfter !== undefined) {
      cutRequest(req, outgoing, answerFault.cutRequestAfter);
      return;
    }
    req.pipe(outgoing);
  }

  function rewriteAnswer(answer: http.IncomingMessage, res: http.ServerResponse, rewrite: (body: string) => string): void {
    const chunks: Buffer[] = [];
    answer.on('data', (chunk: Buffer) => chunks.push(chunk));
    answer.on('end', () => {
      const body = Buffer.from(rewrite(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'content-length': String(body.length) });
      res.end(body);
    });
  }

  function cutRequest(req: http.IncomingMessage, outgoing: http.ClientRequest, bytes: number): void {
    let left = bytes;
    req.on('data', (chunk: Buffer) => {
      if (left <= 0) return;
      const part = chunk.subarray(0, left);
      left -= part.byteLength;
      // The server reads what was written before the cut, as from a client that died mid-body.
      outgoing.write(part, () => {
        if (left > 0) return;
        outgoing.socket?.end(() => outgoing.destroy());
        req.socket.destroy();
      });
    });
  }

  function truncate(answer: http.IncomingMessage, res: http.ServerResponse, bytes: number): void {
    let left = bytes;
    answer.on('data', (chunk: Buffer) => {
      if (left <= 0) return;
      res.write(chunk.subarray(0, left));
      left -= chunk.byteLength;
      // Flushed before the cut, so the client really holds part of the body.
      if (left <= 0) res.socket?.end(() => res.socket?.destroy());
    });
    answer.on('end', () => {
      if (left > 0) res.end();
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
