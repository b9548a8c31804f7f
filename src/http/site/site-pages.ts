// What a site host answers besides files: small HTML error pages (never the API's JSON), redirects, and
// the `_headers` edits applied to every answer of a matching path.
import type { FastifyReply } from 'fastify';
import type { HeaderEdits } from '../../domain/site/site-service.js';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  404: 'Not found',
  405: 'Method not allowed',
  416: 'Range not satisfiable',
  500: 'Server error',
  503: 'Service unavailable',
};

const NO_EDITS: HeaderEdits = { set: new Map(), remove: new Set() };

/** Answers a small HTML page with `status`, then `_headers`' edits (its body left out for HEAD). */
export function sendSitePage(reply: FastifyReply, status: number, message: string, edits = NO_EDITS): FastifyReply {
  const title = `${status} ${TITLES[status] ?? 'Error'}`;
  const body = `<!doctype html>\n<meta charset="utf-8">\n<title>${title}</title>\n<h1>${title}</h1>\n<p>${escapeHtml(message)}</p>\n`;
  reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-store');
  applyHeaderEdits(reply, edits);
  return reply.send(body);
}

export function applyHeaderEdits(reply: FastifyReply, edits: HeaderEdits): void {
  for (const name of edits.remove) reply.removeHeader(name);
  for (const [name, value] of edits.set) reply.header(name, value);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
