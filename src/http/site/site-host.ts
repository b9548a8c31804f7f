// Routing by Host: a request whose Host is one label under the site domain is a site request, answered here
// before any API routing or authentication; every other Host is the API's, which never serves a site.
import { statusOf } from '../error-status.js';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAppError } from '../../domain/errors.js';
import { siteLabelOf } from '../../domain/site-links.js';
import type { BlobStore } from '../../domain/ports/blob-store.js';
import type { SiteReader } from '../../domain/ports/metadata-store.js';
import { SiteService } from '../../domain/site/site-service.js';
import { sendError, toAppError } from '../error-handler.js';
import { SiteContent } from './site-content.js';
import { sendSiteFile } from './site-file.js';
import { applyHeaderEdits, sendSitePage } from './site-pages.js';

export interface SiteHosting {
  readonly siteDomain: string;
  readonly sites: SiteService;
  readonly content: SiteContent;
}

export function siteHosting(siteDomain: string, reader: SiteReader, blobs: Pick<BlobStore, 'read'>): SiteHosting {
  const sites = new SiteService(reader, blobs);
  return { siteDomain, sites, content: new SiteContent((sha256, range) => sites.read(sha256, range)) };
}

/**
 * Fastify's frameworkErrors: a URL its router cannot parse (a bad escape) never reaches the hooks, so it is
 * answered here: an HTML 400 on a site host, the API's flat JSON error elsewhere.
 */
export function frameworkErrors(siteDomain: string, maxJsonBodyBytes: number) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    if (siteLabelOf(request.headers.host, siteDomain) !== null) sendSitePage(reply, 400, 'This path cannot name a file of the site.');
    else sendError(reply, toAppError(err, { maxJsonBodyBytes }));
  };
}

/** Call right after the access log's hook, before any other onRequest hook (not-found, authentication). */
export function installSiteHosts(app: FastifyInstance, hosting: SiteHosting): void {
  app.addHook('onRequest', async (request, reply) => {
    const label = siteLabelOf(request.headers.host, hosting.siteDomain);
    if (label === null) return;
    try {
      await answerSite(request, reply, hosting, label);
    } catch (err) {
      if (isAppError(err) && statusOf(err.code) === 503) {
        reply.header('retry-after', '1');
        await sendSitePage(reply, 503, 'The site cannot be read right now; retry later.');
      } else {
        request.log.error({ err }, 'site request failed');
        await sendSitePage(reply, 500, 'The site could not be served.');
      }
    }
    return reply;
  });
}

async function answerSite(request: FastifyRequest, reply: FastifyReply, hosting: SiteHosting, label: string): Promise<unknown> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    reply.header('allow', 'GET, HEAD');
    return sendSitePage(reply, 405, `${request.method} is not allowed on a site; use GET or HEAD.`);
  }
  const queryAt = request.url.indexOf('?');
  const rawPath = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
  const query = queryAt === -1 ? '' : request.url.slice(queryAt + 1);
  const answer = await hosting.sites.answer(label, rawPath, query);
  switch (answer.kind) {
    case 'no_site':
      return sendSitePage(reply, 404, `No site is published at ${label}.${hosting.siteDomain}.`);
    case 'bad_path':
      return sendSitePage(reply, 400, 'This path cannot name a file of the site.');
    case 'redirect':
      reply
        .code(answer.status)
        .header('location', answer.location)
        .header('cache-control', 'public, max-age=0, must-revalidate')
        .header('content-type', 'text/plain; charset=utf-8')
        .header('x-content-type-options', 'nosniff');
      applyHeaderEdits(reply, answer.headers);
      return reply.send(`Redirecting to ${answer.location}\n`);
    case 'not_found':
      return sendSitePage(reply, 404, 'There is no page at this address.', answer.headers);
    case 'file':
      return sendSiteFile(request, reply, hosting.content, answer);
  }
}
