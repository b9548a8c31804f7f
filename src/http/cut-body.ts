// A body cut short by the client's half-close (FIN before the bytes its Content-Length announced): Node's parser
// reports it as a client error on the socket, while the request reading that body would wait for bytes that never
// come. The socket can still carry an answer, so the request fails with 400 and answers it.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../domain/errors.js';

const inFlight = new WeakMap<Socket, IncomingMessage>();

export function trackRequestBodies(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    inFlight.set(request.raw.socket, request.raw);
  });
}

/** True when the socket's request still has a body to read and an answer to give: the request answers the cut. */
export function requestAnswersCut(socket: Socket): boolean {
  const request = inFlight.get(socket);
  return request !== undefined && !request.complete && socket.writable;
}

/** The 400 of a body whose client has stopped sending (half-closed) before its end; undefined otherwise. */
export function cutBodyError(request: IncomingMessage): AppError | undefined {
  if (request.complete || !request.socket?.readableEnded) return undefined;
  return new AppError('invalid_request', 'The request body ended before the length it announced.');
}
