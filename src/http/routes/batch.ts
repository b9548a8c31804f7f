// The batch POST: many blobs of a session in one multipart/form-data request, each part stored as the PUT stores one.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, ERRORS } from '../../domain/errors.js';
import type { UploadService } from '../../domain/upload-service.js';
import { principalOf, uploadTokenOf } from '../auth.js';
import { bodyWithIdleTimeout } from '../body-stream.js';
import { MultipartReader, multipartBoundary } from '../multipart.js';
import { AUTH_ERRORS, PutBlobResponse, UploadTokenHeaders, withErrors } from '../schemas.js';

export interface BatchRouteOptions {
  readonly bodyTimeoutMs: number;
  readonly maxParts: number;
  readonly maxBytes: number;
}

const PART_ERROR_CODES = [
  'invalid_sha256',
  'blob_not_in_session',
  'size_mismatch',
  'digest_mismatch',
  'storage_unavailable',
  'insufficient_storage',
] as const;

const StoredPart = Type.Object({
  sha256: Type.String({ description: 'Lowercase' }),
  status: Type.Literal(200),
  alreadyPresent: Type.Boolean({
    description: 'True when this tenant held the blob before this part (a retry, or an earlier part of the batch)',
  }),
  blob: PutBlobResponse.properties.blob,
});

const FailedPart = Type.Object({
  sha256: Type.String({ description: 'Lowercase, or as sent when it is not 64 hexadecimal digits' }),
  status: Type.Union([...new Set(PART_ERROR_CODES.map((code) => ERRORS[code].status))].map((status) => Type.Literal(status))),
  error: Type.Union(PART_ERROR_CODES.map((code) => Type.Literal(code))),
  message: Type.String(),
});

const BatchResponse = Type.Object({
  uploadSessionId: Type.String(),
  results: Type.Array(Type.Union([StoredPart, FailedPart]), { description: 'One result per part, in the order the parts came' }),
});

export function batchRoutes(service: UploadService, options: BatchRouteOptions): FastifyPluginAsyncTypebox {
  return async (app) => {
    // The handler reads the body as a stream once the session checks pass, so the Content-Type is judged in
    // API.md's order (after them), not by a parser that would run first.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));

    app.post(
      '/v1/upload-sessions/:uploadSessionId/blobs',
      {
        config: { auth: { scope: 'upload', uploadToken: true } },
        // The schemas document the route; the auth hook checks the headers and the handler reads the body itself.
        validatorCompiler: () => () => true,
        schema: {
          operationId: 'putBlobs',
          summary: 'Upload many blobs of an upload session in one multipart request',
          description:
            "One part per blob: the part's name is the blob's sha256 and its bytes are the blob (a filename and a Content-Type are " +
            'optional and ignored). Each part is streamed, verified and stored as the single PUT stores a blob; a part that fails ' +
            'stores nothing and does not stop the parts after it. The 200 comes once every stored part is durable. ' +
            `At most ${options.maxParts} parts and ${options.maxBytes} bytes of body (413 beyond; parts stored before stay stored).`,
          tags: ['blobs'],
          security: [{ bearer: [], uploadToken: [] }],
          params: Type.Object({ uploadSessionId: Type.String() }),
          headers: UploadTokenHeaders,
          consumes: ['multipart/form-data'],
          body: Type.Object(
            {},
            {
              additionalProperties: Type.String({
                format: 'binary',
                contentMediaType: 'application/octet-stream',
                description: "A blob's raw bytes",
              }),
              description: 'Each field is named by the sha256 of its bytes',
            },
          ),
          response: withErrors({ 200: BatchResponse }, [
            ...AUTH_ERRORS,
            'session_not_found',
            'invalid_upload_token',
            'session_expired',
            'session_not_open',
            'unsupported_content_type',
            'invalid_request',
            'payload_too_large',
            'request_timeout',
          ]),
        },
      },
      async (request) =>
        service.putBlobs(principalOf(request), {
          sessionId: request.params.uploadSessionId,
          uploadToken: uploadTokenOf(request),
          openParts: () => openParts(request, options),
        }),
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
