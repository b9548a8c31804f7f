// The batch POST: many blobs of a session in one multipart/form-data request, each part stored as the PUT stores one.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../domain/errors.js';
import type { UploadService } from '../../domain/upload-service.js';
import { principalOf, uploadTokenOf } from '../auth.js';
import { bodyWithIdleTimeout } from '../body-stream.js';
import { STYLE_SHA256 } from '../examples.js';
import { MultipartReader, NOT_MULTIPART, multipartBoundary } from '../multipart.js';
import type { RouteDoc } from '../openapi/route-doc.js';
import { statusOf } from '../error-status.js';
import { AUTH_ERRORS, PutBlobsResponse, SHA256_PATTERN, UploadSessionIdParam, UploadTokenHeaders, withErrors } from '../schemas.js';

export interface BatchRouteOptions {
  readonly bodyTimeoutMs: number;
  readonly maxParts: number;
  readonly maxBytes: number;
}

function batchDoc(options: BatchRouteOptions): RouteDoc {
  return {
    requestBody: {
      description:
        "One part per blob: the part's name is the blob's sha256, its bytes the blob's raw bytes (a filename and a Content-Type " +
        `are optional and ignored). At most ${options.maxParts} parts and ${options.maxBytes} bytes of body.`,
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            propertyNames: { pattern: SHA256_PATTERN },
            additionalProperties: { type: 'string', contentMediaType: 'application/octet-stream', description: "A blob's raw bytes" },
            maxProperties: options.maxParts,
          },
          example: { [STYLE_SHA256]: 'body{margin:0}\n' },
        },
      },
    },
  };
}

export function batchRoutes(service: UploadService, options: BatchRouteOptions): FastifyPluginAsyncTypebox {
  return async (app) => {
    // The handler reads the body as a stream once the session checks pass, so the Content-Type is judged in
    // API.md's order (after them), not by a parser that would run first.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));

    app.post(
      '/v1/upload-sessions/:uploadSessionId/blobs',
      {
        config: { auth: { scope: 'upload', uploadToken: true }, openapi: batchDoc(options), streamsBody: true },
        schema: {
          operationId: 'putBlobs',
          summary: 'Upload many blobs of an upload session in one multipart request',
          description:
            'Each part is streamed, verified and stored as the single PUT stores a blob; a part that fails stores nothing and ' +
            'does not stop the parts after it. The 200 comes once every stored part is durable. Past a limit (413), a malformed ' +
            'body (400) or a stalled one (408), the parts stored before stay stored.',
          tags: ['blobs'],
          params: Type.Object({ uploadSessionId: UploadSessionIdParam }),
          headers: UploadTokenHeaders,
          response: withErrors(
            { 200: PutBlobsResponse },
            [
              ...AUTH_ERRORS,
              'session_not_found',
              'invalid_upload_token',
              'session_expired',
              'session_not_open',
              'unsupported_content_type',
              'invalid_request',
              'payload_too_large',
              'request_timeout',
            ],
            { unsupported_content_type: NOT_MULTIPART },
          ),
        },
      },
      async (request) => {
        const { uploadSessionId, results } = await service.putBlobs(principalOf(request), {
          sessionId: request.params.uploadSessionId,
          uploadToken: uploadTokenOf(request),
          openParts: () => openParts(request, options),
        });
        // A refused part answers, inside the 200, the status its PUT would have answered.
        return {
          uploadSessionId,
          results: results.map((result) => ('error' in result ? { ...result, status: statusOf(result.error) } : result)),
        };
      },
    );
  };
}

function openParts(request: FastifyRequest, options: BatchRouteOptions): MultipartReader {
  const boundary = multipartBoundary(request.headers['content-type']);
  const length = Number(request.headers['content-length']);
  if (length > options.maxBytes) throw tooLarge(options.maxBytes);
  const body = atMost(bodyWithIdleTimeout(request.raw, options.bodyTimeoutMs), options.maxBytes);
  return new MultipartReader(body, boundary, { maxParts: options.maxParts });
}

/** The body, cut with 413 as soon as it runs past `maxBytes` (a chunked body announces no length). */
async function* atMost(body: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > maxBytes) throw tooLarge(maxBytes);
    yield chunk;
  }
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `A batch request body carries at most ${maxBytes} bytes.`);
}
