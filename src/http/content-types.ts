// Request bodies by media type (API.md "HTTP conventions"): a route with a JSON body takes application/json
// only (415 otherwise, text/plain included); a route without a body ignores whatever body comes, empty or
// not. Routes that read their own body (the blob PUT) replace these parsers in their own plugin.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';
import { byteCount, overLimitMessage } from './limit-messages.js';

export function installContentTypeParsers(app: FastifyInstance, maxBodyBytes: number): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (!takesBody(request)) return done(null, undefined);
    if (body.length === 0) return done(new AppError('invalid_json', 'The request body is empty; send a JSON object.'));
    parseJson(request, body.toString(), done);
  });
  app.addContentTypeParser('*', (request, payload, done) => {
    if (takesBody(request)) return done(new AppError('unsupported_media_type'));
    // Read and dropped, up to the JSON limit: an unbounded body on a route that ignores it costs nothing to send.
    let bytes = 0;
    payload.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBodyBytes) {
        payload.removeAllListeners('data').pause();
        done(new AppError('payload_too_large', overLimitMessage('The request body', byteCount(maxBodyBytes), 'maxJsonBodyBytes')));
      }
    });
    payload.on('end', () => {
      if (bytes <= maxBodyBytes) done(null, undefined);
    });
    payload.on('error', (err) => done(err));
  });
}

function takesBody(request: FastifyRequest): boolean {
  return request.routeOptions.schema?.body !== undefined;
}
