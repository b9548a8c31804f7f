// The links an API answer gives (a manifest's previewUrl, an alias's url): on the site domain, with the
// scheme and port the client used to reach this server.
import type { FastifyRequest } from 'fastify';
import { portOfHost, previewUrlOf, type SiteOrigin } from '../domain/site-links.js';

export function siteOriginOf(request: FastifyRequest, siteDomain: string): SiteOrigin {
  return { scheme: request.protocol, siteDomain, port: portOfHost(request.headers.host) };
}

export function withPreviewUrl<T extends { readonly manifestId: string }>(origin: SiteOrigin, manifest: T): T & { previewUrl: string } {
  return { ...manifest, previewUrl: previewUrlOf(origin, manifest.manifestId) };
}
