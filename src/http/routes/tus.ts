// Resumable uploads over tus 1.0.0 (API.md "Resumable uploads"): discovery, creation (with upload), HEAD,
// PATCH and termination on a session's uploads, every answer with Tus-Resumable. The domain decides;
// this reads the tus headers and writes them back.
import { HttpAppError } from '../http-error.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ERRORS, type ErrorCode } from '../../domain/errors.js';
import type { ResumableUploads, UploadPosition } from '../../domain/resumable-uploads.js';
import { isOffsetOctetStream, TUS_CHECKSUM_ALGORITHMS, TUS_EXTENSIONS, TUS_VERSION } from '../../domain/tus-headers.js';
import { principalOf, uploadTokenOf } from '../auth.js';
import { bodyWithIdleTimeout } from '../body-stream.js';
import { AUTH_ERRORS, UploadSessionIdParam, withErrors } from '../schemas.js';
import { creationDoc, discoveryDoc, headDoc, patchDoc, terminationDoc, TusRequestHeaders } from './tus-doc.js';

export interface TusRouteOptions {
  readonly bodyTimeoutMs: number;
  readonly maxBlobSize: number;
}

const UPLOADS = '/v1/upload-sessions/:uploadSessionId/uploads';
const UPLOAD = `${UPLOADS}/:uploadId`;
const UploadsParams = Type.Object({ uploadSessionId: UploadSessionIdParam });
const UploadParams = Type.Object({
  uploadSessionId: UploadSessionIdParam,
  uploadId: Type.String({ description: "The upload's id, the last segment of its Location", examples: ['tus_3q2pX0mYy8J5yXlq3bVZ6A'] }),
});
const AUTH = { scope: 'upload', uploadToken: true } as const;
const SESSION_ERRORS: readonly ErrorCode[] = [...AUTH_ERRORS, 'unsupported_tus_version', 'invalid_upload_token'];

export function tusRoutes(uploads: ResumableUploads, options: TusRouteOptions): FastifyPluginAsyncTypebox {
  return async (app) => {
    // PATCH bodies are read as streams by the domain, whatever their type (it answers 415 in its order).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.header('tus-resumable', TUS_VERSION);
      return payload;
    });

    app.options(
      UPLOADS,
      {
        config: { openapi: discoveryDoc(options.maxBlobSize) },
        schema: {
          operationId: 'discoverResumableUploads',
          summary: 'tus discovery: the version, extensions, checksum algorithms and largest blob',
          tags: ['resumable uploads'],
          params: UploadsParams,
          response: withErrors({ 204: Type.Null({ description: 'The capabilities, in headers' }) }, []),
        },
      },
      async (_request, reply) =>
        reply
          .code(204)
          .header('tus-version', TUS_VERSION)
          .header('tus-max-size', String(options.maxBlobSize))
          .header('tus-extension', TUS_EXTENSIONS)
          .header('tus-checksum-algorithm', TUS_CHECKSUM_ALGORITHMS.join(','))
          .send(null),
    );

    app.post(
      UPLOADS,
      {
        config: { auth: AUTH, openapi: creationDoc() },
        schema: {
          operationId: 'createResumableUpload',
          summary: 'Create a resumable upload of one blob of the session (tus creation, creation-with-upload)',
          tags: ['resumable uploads'],
          params: UploadsParams,
          headers: TusRequestHeaders,
          response: withErrors({ 201: Type.Null({ description: 'Created: Location names the upload' }) }, [
            ...SESSION_ERRORS,
            'session_not_found',
            'session_expired',
            'session_not_open',
            'invalid_sha256',
            'invalid_request',
            'blob_not_in_session',
            'size_mismatch',
            'payload_too_large',
            ...PATCH_ERRORS,
          ]),
        },
      },
      async (request, reply) => {
        checkTusVersion(request);
        const principal = principalOf(request);
        const sessionId = request.params.uploadSessionId;
        const created = await uploads.create(principal, {
          sessionId,
          uploadToken: uploadTokenOf(request),
          uploadLength: header(request, 'upload-length'),
          uploadMetadata: header(request, 'upload-metadata'),
        });
        reply.header('location', `/v1/upload-sessions/${encodeURIComponent(sessionId)}/uploads/${created.uploadId}`);
        let position = created;
        if (isOffsetOctetStream(header(request, 'content-type')) && hasBody(request)) {
          position = await uploads.patch(principal, { ...patchInput(request, options, sessionId, created.uploadId), uploadOffset: '0' });
        }
        return withPosition(reply.code(201), position).send();
      },
    );

    app.head(
      UPLOAD,
      {
        config: { auth: AUTH, openapi: headDoc(), swagger: { exposeHeadRoute: true } },
        schema: {
          operationId: 'getResumableUploadOffset',
          summary: "The upload's offset: how many bytes the server holds durably",
          tags: ['resumable uploads'],
          params: UploadParams,
          headers: TusRequestHeaders,
          response: withErrors({ 200: Type.Null({ description: 'Upload-Offset and Upload-Length in headers' }) }, [
            ...SESSION_ERRORS,
            'upload_not_found',
            'upload_locked',
          ]),
        },
      },
      async (request, reply) => {
        checkTusVersion(request);
        const position = await uploads.position(principalOf(request), targetOf(request));
        return withPosition(reply.header('cache-control', 'no-store'), position).send();
      },
    );

    app.patch(
      UPLOAD,
      {
        config: { auth: AUTH, openapi: patchDoc() },
        schema: {
          operationId: 'patchResumableUpload',
          summary: 'Append bytes at Upload-Offset; the last byte verifies and commits the blob',
          tags: ['resumable uploads'],
          params: UploadParams,
          headers: TusRequestHeaders,
          response: withErrors({ 204: Type.Null({ description: 'The bytes are durable; Upload-Offset is the new offset' }) }, [
            ...SESSION_ERRORS,
            'session_expired',
            'session_not_open',
            ...PATCH_ERRORS,
          ]),
        },
      },
      async (request, reply) => {
        checkTusVersion(request);
        const { uploadSessionId, uploadId } = request.params;
        const position = await uploads.patch(principalOf(request), patchInput(request, options, uploadSessionId, uploadId));
        return withPosition(reply.code(204), position).send();
      },
    );

    app.delete(
      UPLOAD,
      {
        config: { auth: AUTH, openapi: terminationDoc() },
        schema: {
          operationId: 'terminateResumableUpload',
          summary: 'tus termination: drop the partial bytes',
          tags: ['resumable uploads'],
          params: UploadParams,
          headers: TusRequestHeaders,
          response: withErrors({ 204: Type.Null({ description: 'Terminated' }) }, [...SESSION_ERRORS, 'upload_not_found', 'upload_locked']),
        },
      },
      async (request, reply) => {
        checkTusVersion(request);
        await uploads.terminate(principalOf(request), targetOf(request));
        return reply.code(204).send();
      },
    );
  };
}

const PATCH_ERRORS: readonly ErrorCode[] = [
  'upload_not_found',
  'unsupported_media_type',
  'invalid_request',
  'unsupported_checksum_algorithm',
  'offset_mismatch',
  'checksum_mismatch',
  'payload_too_large',
  'digest_mismatch',
  'upload_locked',
  'request_timeout',
  'insufficient_storage',
];

/** After authentication (the hook), before anything else of the request. */
function checkTusVersion(request: FastifyRequest): void {
  if (header(request, 'tus-resumable') !== TUS_VERSION) {
    throw new HttpAppError('unsupported_tus_version', ERRORS.unsupported_tus_version.message, { 'tus-version': TUS_VERSION });
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function hasBody(request: FastifyRequest): boolean {
  return Number(header(request, 'content-length') ?? 0) > 0 || header(request, 'transfer-encoding') !== undefined;
}

function targetOf(request: FastifyRequest) {
  const params = request.params as { uploadSessionId: string; uploadId: string };
  return { sessionId: params.uploadSessionId, uploadId: params.uploadId, uploadToken: uploadTokenOf(request) };
}

function patchInput(request: FastifyRequest, options: TusRouteOptions, sessionId: string, uploadId: string) {
  const contentLength = Number(header(request, 'content-length'));
  return {
    sessionId,
    uploadId,
    uploadToken: uploadTokenOf(request),
    contentType: header(request, 'content-type'),
    uploadOffset: header(request, 'upload-offset'),
    uploadChecksum: header(request, 'upload-checksum'),
    contentLength: Number.isSafeInteger(contentLength) ? contentLength : undefined,
    body: bodyWithIdleTimeout(request.raw, options.bodyTimeoutMs),
  };
}

function withPosition(reply: FastifyReply, position: UploadPosition): FastifyReply {
  return reply
    .header('upload-offset', String(position.offset))
    .header('upload-length', String(position.length))
    .header('upload-expires', new Date(position.expiresAt).toUTCString());
}
