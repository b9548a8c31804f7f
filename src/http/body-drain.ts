// An error answered before the request body was read (a bad token on a PUT, say) must still reach a client
// that is sending: closing at once makes the client see a reset instead of the answer. So what is left of
// the body is read and thrown away, up to a bound; past the bound the answer goes out with Connection: close.
import type { IncomingMessage } from 'node:http';
import { awaitsContinue } from './expect-continue.js';

export interface DrainLimits {
  readonly maxBytes: number;
  readonly maxMs: number;
}

/** API.md: "a few MiB, a few seconds". */
export const DEFAULT_DRAIN_LIMITS: DrainLimits = { maxBytes: 4 * 1024 * 1024, maxMs: 5_000 };

/** Resolves true once the body has ended within the limits (the connection can serve another request). */
export function drainBody(request: IncomingMessage, limits: DrainLimits): Promise<boolean> {
  if (request.complete || request.readableEnded) return Promise.resolve(true);
  // A client waiting for 100 Continue sends no body: the answer goes out at once, and the connection closes.
  if (request.destroyed || awaitsContinue(request) || request.socket?.readableEnded) return Promise.resolve(false);
  return new Promise((resolve) => {
    let bytes = 0;
    const settle = (ended: boolean) => {
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('close', onGone);
      request.off('error', onGone);
      if (!ended) request.pause();
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limits.maxBytes) settle(false);
    };
    const onEnd = () => settle(true);
    const onGone = () => settle(false);
    const timer = setTimeout(onGone, limits.maxMs);
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('close', onGone);
    request.on('error', onGone);
    request.resume();
  });
}
