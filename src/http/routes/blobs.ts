// Blobs: the seed's PUT into a session, and GET/HEAD of a tenant's blob with single ranges.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { Principal } from '../../domain/authentication.js';
import type { UploadService } from '../../domain/upload-service.js';
import type { ByteRange } from '../../domain/ports/blob-store.js';
import type { PutContext } from '../../domain/ports/metadata-store.js';
import { principalOf, uploadTokenOf } from '../auth.js';
import { bodyWithIdleTimeout } from '../body-stream.js';
import { STYLE_SHA256 } from '../examples.js';
import type { OpenApiResponse, RouteDoc } from '../openapi/route-doc.js';
import { AUTH_ERRORS, PutBlobResponse, Sha256Param, UploadSessionIdParam, UploadTokenHeaders, withErrors } from '../schemas.js';
import { HttpAppError } from '../http-error.js';

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
        config: {
          auth: {
            scope: 'upload',
            uploadToken: true,
            // The token, the session and the blob's context in one read.
            lookup: (request, tokenHash) => {
              const params = request.params as { uploadSessionId: string; sha256: string };
              return service.putContextLookup(params.uploadSessionId, params.sha256)(tokenHash);
            },
          },
          openapi: PUT_DOC,
          streamsBody: true,
        },
        schema: {
          operationId: 'putBlob',
          summary: 'Upload a single CAS blob for an upload session',
          description:
            'Uploads one raw file blob addressed by sha256 and stores it in CAS if it is referenced by the upload session. ' +
            'The body is streamed through SHA-256; the blob becomes visible only once its size and digest check out ' +
            'and it is durable. Idempotent.',
          tags: ['blobs'],
          params: Type.Object({ uploadSessionId: UploadSessionIdParam, sha256: Sha256Param }),
          headers: UploadTokenHeaders,
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
          context: request.prefetched as PutContext | null,
        });
      },
    );

    app.get(
      '/v1/blobs/:sha256',
      // The explicit HEAD below answers HEAD for this path.
      {
        exposeHeadRoute: false,
        config: { auth: { scope: 'read' }, openapi: blobDoc(true) },
        schema: blobSchema('getBlob', "Download a blob's bytes"),
      },
      async (request, reply) => serveBlob(service, request.principal, request.params.sha256, request.headers, reply, true),
    );
    app.head(
      '/v1/blobs/:sha256',
      {
        config: { auth: { scope: 'read' }, openapi: blobDoc(false), swagger: { exposeHeadRoute: true } },
        schema: blobSchema('headBlob', "A blob's headers, without its bytes"),
      },
      async (request, reply) => serveBlob(service, request.principal, request.params.sha256, request.headers, reply, false),
    );
  };
}

/** The body is read by the route itself (the service checks its type in API.md's order), so only the document sees it. */
const PUT_DOC: RouteDoc = {
  requestBody: {
    description:
      "The blob's raw bytes: exactly the size the manifest gives, hashing to the sha256 in the path. Content-Type may be absent.",
    required: true,
    content: { 'application/octet-stream': { example: 'body{margin:0}\n' } },
  },
};

const BlobHeaders = Type.Object({
  range: Type.Optional(
    Type.String({
      description: 'One range: bytes=START-END, bytes=START- or bytes=-SUFFIX; others get the whole blob',
      examples: ['bytes=0-1023'],
    }),
  ),
  'if-none-match': Type.Optional(
    Type.String({ description: 'The ETag already held: a match answers 304 without the bytes', examples: [`"${STYLE_SHA256}"`] }),
  ),
  'if-range': Type.Optional(
    Type.String({ description: "Range applies only when this is the blob's ETag (always true of a content address)" }),
  ),
});

function blobSchema(operationId: string, summary: string) {
  return {
    operationId,
    summary,
    description:
      'The bytes of a blob this tenant holds, as Content-Type its mime (else application/octet-stream), ' +
      'with a strong ETag and immutable caching.',
    tags: ['blobs'],
    params: Type.Object({ sha256: Sha256Param }),
    headers: BlobHeaders,
    response: withErrors(
      // The bytes are described by the route's RouteDoc (blobDoc): they are not JSON.
      { 304: Type.Null({ description: 'Not modified: If-None-Match named this blob' }) },
      [...AUTH_ERRORS, 'invalid_sha256', 'blob_not_found', 'range_not_satisfiable'],
    ),
  };
}

const header = (description: string, schema: Record<string, unknown>) => ({ description, required: true, schema });
const CACHING = {
  ETag: header('The sha256 in quotes: a strong validator', {
    type: 'string',
    pattern: '^"[0-9a-f]{64}"$',
    examples: [`"${STYLE_SHA256}"`],
  }),
  'Cache-Control': header('The bytes of a content address never change', {
    type: 'string',
    examples: ['private, max-age=31536000, immutable'],
  }),
  'Accept-Ranges': header('Single byte ranges are served', { type: 'string', const: 'bytes' }),
  // Uploaded bytes are never active content on this origin (serveBlob says why).
  'X-Content-Type-Options': header('Browsers must not guess another type than Content-Type', { type: 'string', const: 'nosniff' }),
  'Content-Security-Policy': header('An HTML blob opened in a tab runs sandboxed, without this origin', {
    type: 'string',
    const: 'sandbox',
  }),
};
const LENGTH = { 'Content-Length': header('Bytes in this answer', { type: 'integer', minimum: 0 }) };
const CONTENT_RANGE = {
  'Content-Range': header("The range sent, and the blob's size", { type: 'string', examples: ['bytes 0-1023/50000'] }),
};

/** The blob's answers: raw bytes of any media type, or (HEAD) their headers alone. */
function blobDoc(withBody: boolean): RouteDoc {
  // Raw bytes of any media type: no schema (OpenAPI 3.1's way for binary), so a generated client reads them as bytes.
  const bytes = (description: string, example: string): OpenApiResponse => ({
    description,
    content: withBody ? { '*/*': { example } } : {},
  });
  return {
    responses: {
      200: { ...bytes('The whole blob', 'body{margin:0}\n'), headers: { ...CACHING, ...LENGTH } },
      206: { ...bytes('The range asked for', 'body'), headers: { ...CACHING, ...LENGTH, ...CONTENT_RANGE } },
      304: { headers: CACHING },
      416: { headers: { 'Content-Range': header("bytes */SIZE: the blob's size", { type: 'string', examples: ['bytes */50000'] }) } },
    },
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
    throw new HttpAppError('range_not_satisfiable', `The blob has ${meta.size} bytes.`, { 'content-range': `bytes */${meta.size}` });
  }
  const length = range ? range.end - range.start + 1 : meta.size;
  reply.header('content-length', String(length));
  if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${meta.size}`);
  if (!withBody) return reply.send();
  if (length === 0) return reply.send(Buffer.alloc(0));
  const bytes = await meta.read(range ?? undefined);
  return reply.send(bytes instanceof Uint8Array ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes);
}

function matchesEtag(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (typeof ifNoneMatch !== 'string') return false;
  return ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** A single byte range, null for the whole blob (absent, malformed, multi-range or a stale If-Range). */
export function parseRange(
  header: string | undefined,
  size: number,
  ifRange: string | string[] | undefined,
  etag: string,
): ByteRange | null | 'unsatisfiable' {
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
