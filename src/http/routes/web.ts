// The browser page: GET / and its few files under /web/, from the bundle `npm run build` puts in dist/web/,
// served same-origin under a Content-Security-Policy that allows nothing but this origin.
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';

/** src/http/routes/ and dist/http/routes/ are both three levels below the package root. */
const DEFAULT_PAGE_DIR = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

/**
 * Only this origin, for everything. Two allowances, both for the hashing worker: `worker-src 'self'` (spelled out
 * though default-src implies it) and `'wasm-unsafe-eval'`, which lets the page compile WebAssembly (hash-wasm's
 * SHA-256) and nothing else: JavaScript eval stays forbidden.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface PageFile {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

export function webRoutes(pageDir = DEFAULT_PAGE_DIR): FastifyPluginAsyncTypebox {
  return async (app) => {
    const files = await loadPage(pageDir);

    const serve = (name: string) => async (request: FastifyRequest, reply: FastifyReply) => {
      const file = files.get(name);
      if (!file) {
        if (name === 'index.html') throw new AppError('not_found', 'The browser page is not built: run `npm run build`.');
        throw new AppError('not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`);
      }
      reply
        .header('content-security-policy', PAGE_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        // Revalidated on each load (a cheap 304): an upgraded server never runs with a stale page.
        .header('cache-control', 'no-cache')
        .header('etag', file.etag)
        .type(file.type);
      if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
      if (request.method === 'HEAD') return reply.header('content-length', String(file.body.length)).send();
      return reply.send(file.body);
    };

    const hidden = { schema: { hide: true } };
    app.route({ method: ['GET', 'HEAD'], url: '/', ...hidden, handler: serve('index.html') });
    app.route<{ Params: { file: string } }>({
      method: ['GET', 'HEAD'],
      url: '/web/:file',
      ...hidden,
      handler: async (request, reply) => serve(request.params.file === 'index.html' ? '' : request.params.file)(request, reply),
    });
  };
}

/** Read once at start: a handful of small files, served from memory. Missing (not built yet) serves none. */
async function loadPage(directory: string): Promise<Map<string, PageFile>> {
  const files = new Map<string, PageFile>();
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return files;
  }
  for (const name of names) {
    const type = TYPES[name.slice(name.lastIndexOf('.'))];
    if (!type || !/^[a-z0-9-]+\.[a-z]+$/.test(name)) continue;
    // A file gone between the listing and the read (a rebuild under way) is left out, not a failed start.
    const body = await readFile(`${directory}/${name}`).catch(() => undefined);
    if (body) files.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
  }
  return files;
}
