// A file of a site, answered: Content-Type, a strong ETag per encoding and 304, single Range on the
// uncompressed body, br or gzip when accepted, caching by host kind, and `_headers` applied last.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SiteKind, HeaderEdits } from '../../domain/site/site-service.js';
import type { FileEntry } from '../../domain/types.js';
import { mimeForPath } from '../../domain/mime.js';
import { parseRange } from '../routes/blobs.js';
import { chooseEncoding, type ContentEncoding, type SiteContent } from './site-content.js';
import { applyHeaderEdits, sendSitePage } from './site-pages.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'public, max-age=0, must-revalidate';

export interface FileAnswer {
  readonly site: SiteKind;
  readonly status: 200 | 404;
  readonly file: FileEntry;
  readonly headers: HeaderEdits;
}

export function contentTypeOf(file: FileEntry): string {
  const mime = file.mime ?? mimeForPath(file.path) ?? 'application/octet-stream';
  return /^(text\/|application\/javascript)/.test(mime) && !/;\s*charset=/i.test(mime) ? `${mime}; charset=utf-8` : mime;
}

export async function sendSiteFile(request: FastifyRequest, reply: FastifyReply, content: SiteContent, answer: FileAnswer) {
  const { file } = answer;
  const type = contentTypeOf(file);
  const html = type.startsWith('text/html');
  const compressible = content.compressible(type, file.size);
  reply
    .code(answer.status)
    .header('content-type', type)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', answer.site === 'preview' && !html && answer.status === 200 ? IMMUTABLE : REVALIDATE);
  if (compressible) reply.header('vary', 'Accept-Encoding');
  if (answer.status === 200) reply.header('accept-ranges', 'bytes');

  const rangeHeader = answer.status === 200 && typeof request.headers.range === 'string' ? request.headers.range : undefined;
  let encoding: ContentEncoding | null = compressible && !rangeHeader ? chooseEncoding(request.headers['accept-encoding']) : null;
  let small: Buffer | null = null;
  if (encoding && content.holds(file.size)) {
    small = await content.encoded(file.sha256, encoding);
    if (!small) encoding = null;
  }
  const etag = encoding ? `"${file.sha256}-${encoding}"` : `"${file.sha256}"`;
  if (answer.status === 200) reply.header('etag', etag);
  if (encoding) reply.header('content-encoding', encoding);
  applyHeaderEdits(reply, answer.headers);

  if (answer.status === 200 && matchesAnyVariant(request.headers['if-none-match'], file.sha256)) return reply.code(304).send();

  const range = rangeHeader ? parseRange(rangeHeader, file.size, request.headers['if-range'], etag) : null;
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${file.size}`).removeHeader('etag');
    return sendSitePage(reply, 416, `The file has ${file.size} bytes.`);
  }
  if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${file.size}`);
  const head = request.method === 'HEAD';

  if (content.holds(file.size)) {
    const body = small ?? (await content.bytes(file.sha256));
    const sent = range ? body.subarray(range.start, range.end + 1) : body;
    reply.header('content-length', String(sent.length));
    return reply.send(head ? undefined : sent);
  }
  if (!encoding) reply.header('content-length', String(range ? range.end - range.start + 1 : file.size));
  if (head) return reply.send();
  return reply.send(await content.stream(file.sha256, { range: range ?? undefined, encoding: encoding ?? undefined }));
}

/** If-None-Match naming any form of the file (plain, gzip, br) or "*": its bytes have not changed. */
function matchesAnyVariant(ifNoneMatch: string | string[] | undefined, sha256: string): boolean {
  if (typeof ifNoneMatch !== 'string') return false;
  if (ifNoneMatch.trim() === '*') return true;
  const variants = new Set([`"${sha256}"`, `"${sha256}-gzip"`, `"${sha256}-br"`]);
  return ifNoneMatch.split(',').some((tag) => variants.has(tag.trim().replace(/^W\//, '')));
}
