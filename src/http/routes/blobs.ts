// Blobs: the seed's PUT into a session, and GET/HEAD of a tenant's blob with single ranges.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../domain/errors.js';
import type { Principal } from '../../domain/authentication.js';
import type { UploadService } from '../../domain/upload-service.js';
import type { ByteRange } from '../../domain/ports/blob-store.js';
import { principalOf, uploadTokenOf } from '../auth.js';
import { bodyWithIdleTimeout } from '../body-stream.js';
import { AUTH_ERRORS, PutBlobResponse, Sha256Param, UploadTokenHeaders, withErrors } from '../schemas.js';

export interface BlobRouteOptions {
  readonly bodyTimeoutMs: number;
}

export function blobRoutes(service: UploadService, options: BlobRouteOptions): FastifyPluginAsyncTypebox {
  return async (app) => {
    // The PUT reads its own body as a stream, whatever the Content-Type: the service checks the type in
    // the order API.md gives, after authentication and the session checks.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));

    app.put(
      '/v1/upload-sessions/:uploadSessionId/blobs/:sha256',
      {
        config: { auth: { scope: 'upload', uploadToken: true } },
        schema: {
          operationId: 'putBlob',
          summary: 'Upload a single CAS blob for an upload session',
          description:
            'Uploads one raw file blob addressed by sha256 and stores it in CAS if it is referenced by the upload session. ' +
            'The body is streamed through SHA-256; the blob becomes visible only once its size and digest check out and it is durable. Idempotent.',
          tags: ['blobs'],
          security: [{ bearer: [], uploadToken: [] }],
          params: Type.Object({ uploadSessionId: Type.String(), sha256: Sha256Param }),
          headers: UploadTokenHeaders,
          consumes: ['application/octet-stream'],
          response: withErrors({ 200: PutBlobResponse }, [
            ...AUTH_ERRORS,
            'invalid_sha256',
            'session_not_found',
            'invalid_upload_token',
            'session_expired',
            'session_not_open',
            'blob_not_in_session',
            'unsupported_content_type',
            'size_mismatch',
            'digest_mismatch',
            'request_timeout',
            'insufficient_storage',
          ]),
        },
      },
      async (request) => {
        const lengthHeader = request.headers['content-length'];
        const contentLength = lengthHeader === undefined ? undefined : Number(lengthHeader);
        return service.putBlob(principalOf(request), {
          sessionId: request.params.uploadSessionId,
          sha256: request.params.sha256,
          uploadToken: uploadTokenOf(request),
          contentType: request.headers['content-type'],
          contentLength: Number.isSafeInteger(contentLength) ? contentLength : undefined,
          body: bodyWithIdleTimeout(request.raw, options.bodyTimeoutMs),
        });
      },
    );

    const blobSchema = (operationId: string, summary: string) => ({
      operationId,
      summary,
      tags: ['blobs'],
      security: [{ bearer: [] }],
      params: Type.Object({ sha256: Sha256Param }),
      headers: Type.Object({ range: Type.Optional(Type.String({ description: 'A single range: bytes=START-END, bytes=START- or bytes=-SUFFIX' })) }),
      response: withErrors(
        {
          200: Type.String({ format: 'binary', description: 'The bytes, with a strong ETag of the sha256 and immutable caching' }),
          206: Type.String({ format: 'binary', description: 'The requested range' }),
          304: Type.Null({ description: 'Not modified (If-None-Match matched)' }),
        },
        [...AUTH_ERRORS, 'invalid_sha256', 'blob_not_found', 'range_not_satisfiable'],
      ),
    });

    app.get('/v1/blobs/:sha256', { config: { auth: { scope: 'read' } }, schema: blobSchema('getBlob', "Download a blob's bytes") }, async (request, reply) =>
      serveBlob(service, request.principal, request.params.sha256, request.headers, reply, true),
    );
    app.head('/v1/blobs/:sha256', { config: { auth: { scope: 'read' } }, schema: blobSchema('headBlob', "A blob's headers, without its bytes") }, async (request, reply) =>
      serveBlob(service, request.principal, request.params.sha256, request.headers, reply, false),
    );
  };
}

async function serveBlob(
  service: UploadService,
  principal: Principal | undefined,
  sha256: string,
  headers: Record<string, string | string[] | undefined>,
  reply: FastifyReply,
  withBody: boolean,
): Promise<FastifyReply> {
  if (!principal) throw new Error('route has no auth config');
  // Uploaded bytes are never active content on this origin (the page's token lives here): no type sniffing, and
  // a sandbox that gives an HTML blob opened in a tab an opaque origin, without scripts.
  reply.header('x-content-type-options', 'nosniff').header('content-security-policy', 'sandbox');
  const meta = await service.openBlob(principal, sha256);
  const etag = `"${meta.sha256}"`;
  reply.header('etag', etag).header('accept-ranges', 'bytes').header('cache-control', 'private, max-age=31536000, immutable');
  reply.header('content-type', meta.mime ?? 'application/octet-stream');
  if (matchesEtag(headers['if-none-match'], etag)) return reply.code(304).send();

  const range = parseRange(typeof headers.range === 'string' ? headers.range : undefined, meta.size, headers['if-range'], etag);
  if (range === 'unsatisfiable') {
    throw new AppError('range_not_satisfiable', `The blob has ${meta.size} bytes.`, { headers: { 'content-range': `bytes */${meta.size}` } });
  }
  const length = range ? range.end - range.start + 1 : meta.size;
  reply.header('content-length', String(length));
  if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${meta.size}`);
  if (!withBody) return reply.send();
  if (length === 0) return reply.send(Buffer.alloc(0));
  return reply.send(await meta.read(range ?? undefined));
}

function matchesEtag(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (typeof ifNoneMatch !== 'string') return false;
  return ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** A single byte range, null for the whole blob (absent, malformed, multi-range or a stale If-Range). */
export function parseRange(header: string | undefined, size: number, ifRange: string | string[] | undefined, etag: string): ByteRange | null | 'unsatisfiable' {
  if (!header) return null;
  if (typeof ifRange === 'string' && ifRange.trim() !== etag) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  if (match[2] !== '' && Number(match[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  return { start, end };
}
