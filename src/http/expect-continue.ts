// Expect: 100-continue, answered only once the request may send its body: after authentication, the session,
// size and Content-Length checks, as S3 does. Until then an error is answered instead of 100, and the client
// never sends a body it would have to throw away. Node hands such requests to `checkContinue` rather than
// answering 100 itself.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

const waiting = new WeakMap<IncomingMessage, ServerResponse>();

export function installExpectContinue(app: FastifyInstance): void {
  app.server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    waiting.set(request, response);
    app.server.emit('request', request, response);
  });
  // Routes whose body Fastify parses (JSON) are past their checks once parsing starts, unless the body is over
  // the route's limit, which the parser refuses from Content-Length alone. Routes that read their own body
  // stream (blob PUT, batch POST) send 100 when they start reading (body-stream.ts).
  app.addHook('preParsing', async (request) => {
    if (request.routeOptions.config.streamsBody) return;
    const length = Number(request.headers['content-length']);
    if (Number.isFinite(length) && length > (request.routeOptions.bodyLimit ?? Number.POSITIVE_INFINITY)) return;
    continueBody(request.raw);
  });
}

/** Tells a client waiting on Expect: 100-continue to send its body; does nothing for any other request. */
export function continueBody(request: IncomingMessage): void {
  const response = waiting.get(request);
  if (!response) return;
  waiting.delete(request);
  if (!response.headersSent && !response.writableEnded) response.writeContinue();
}

/** True while a client waits for 100 Continue before sending its body: no body is coming to drain. */
export function awaitsContinue(request: IncomingMessage): boolean {
  return waiting.has(request);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads its own body as a stream: 100 Continue goes out when it starts reading. */
    streamsBody?: boolean;
  }
}
