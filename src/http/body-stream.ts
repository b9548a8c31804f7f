// A request body as an async iterable of chunks that fails with 408 when the client stops sending.
// Reads in paused mode with short-lived listeners: racing each chunk against one long-lived timeout
// promise would pin every chunk in memory (each race leaves a reaction on that promise).
import type { IncomingMessage } from 'node:http';
import { AppError } from '../domain/errors.js';
import { cutBodyError } from './cut-body.js';
import { continueBody } from './expect-continue.js';

export async function* bodyWithIdleTimeout(request: IncomingMessage, idleMs: number): AsyncGenerator<Buffer> {
  continueBody(request);
  for (;;) {
    const chunk = request.read() as Buffer | null;
    if (chunk !== null) {
      yield chunk;
      continue;
    }
    if (request.readableEnded) return;
    const cut = cutBodyError(request);
    if (cut) throw cut;
    if (request.destroyed) throw Object.assign(new Error('the client went away mid-body'), { code: 'ECONNRESET' });
    await nextEvent(request, idleMs);
  }
}

function nextEvent(request: IncomingMessage, idleMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: Error) => {
      clearTimeout(timer);
      request.off('readable', onReady);
      request.off('end', onReady);
      request.off('error', onError);
      request.off('close', onClose);
      request.socket?.off('end', onReady);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => settle();
    const onError = (err: Error) => settle(err);
    const onClose = () =>
      settle(request.readableEnded ? undefined : Object.assign(new Error('the client went away mid-body'), { code: 'ECONNRESET' }));
    const timer = setTimeout(() => settle(new AppError('request_timeout', `No body bytes arrived for ${idleMs / 1000} s.`)), idleMs);
    request.on('readable', onReady);
    request.on('end', onReady);
    request.on('error', onError);
    request.on('close', onClose);
    // A half-close ends the socket, not the request: the loop above then finds the body cut.
    request.socket?.on('end', onReady);
  });
}
