// One log line per request, written when it is answered, with its request id (echoed in X-Request-Id);
// a client that went away before its answer gets the same line at the same level, marked aborted.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from './metrics.js';

export function installAccessLog(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // 'close' without 'finish': the connection ended before the answer was fully sent.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) request.log.info(requestLine(request, reply, { aborted: true }), 'request aborted');
    });
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    request.log.info(requestLine(request, reply), 'request');
    metrics.requests.inc({ method: request.method, route, status: reply.statusCode });
    metrics.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
}

function requestLine(request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}): Record<string, unknown> {
  // An answer cut before its headers went out has no status to report.
  const status = reply.raw.headersSent ? { status: reply.statusCode } : {};
  return { method: request.method, url: request.url, ...status, ms: Math.round(reply.elapsedTime * 10) / 10, ...extra };
}
