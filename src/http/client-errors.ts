// Requests Node's parser refuses before Fastify sees them (malformed HTTP, headers over the limit) still get
// the flat error body, a request id in X-Request-Id and one log line carrying it, like every other answer.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { AppError } from '../domain/errors.js';
import { statusOf } from './error-status.js';
import { requestAnswersCut } from './cut-body.js';

export function clientErrorHandler(log: FastifyBaseLogger, err: Error, socket: Socket): void {
  const code = (err as { code?: string }).code;
  // A body cut by a half-close, while its request is reading it: that request answers 400 (cut-body.ts).
  if (code === 'HPE_INVALID_EOF_STATE' && requestAnswersCut(socket)) return;
  // A connection reset or closed mid-request has nobody left to answer (the request's own line says aborted).
  if (code === 'ECONNRESET' || code === 'HPE_INVALID_EOF_STATE' || !socket.writable || socket.destroyed) {
    socket.destroy();
    return;
  }
  const error =
    code === 'HPE_HEADER_OVERFLOW' ? new AppError('headers_too_large') : new AppError('invalid_request', 'The request is not valid HTTP.');
  // The headers could not be parsed, so a client's X-Request-Id is not known: this one is made up.
  const requestId = randomUUID();
  log.info({ reqId: requestId, status: statusOf(error.code), code, err: { message: err.message } }, 'request refused by the HTTP parser');
  const body = JSON.stringify({ error: error.code, message: error.message });
  socket.end(
    [
      `HTTP/1.1 ${statusOf(error.code)} ${error.code}`,
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      `x-request-id: ${requestId}`,
      'connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}
