// Completed manifests: the tenant's list, newest first, and one manifest read back by id.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { UploadService } from '../../domain/upload-service.js';
import { siteOriginOf, withPreviewUrl } from '../site-origin.js';
import { principalOf } from '../auth.js';
import { DEFAULT_MANIFEST_PAGE, MAX_MANIFEST_PAGE } from '../../domain/manifest-list.js';
import { EXAMPLES } from '../examples.js';
import { AUTH_ERRORS, ManifestIdParam, ManifestListSchema, ManifestSchema, withErrors } from '../schemas.js';

export function manifestRoutes(service: UploadService, siteDomain: string): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/v1/manifests',
      {
        config: { auth: { scope: 'read' } },
        // The query is documented here and checked by the service (its values arrive as strings, which the
        // app's validator does not coerce), whose messages name the bad value.
        validatorCompiler: () => () => true,
        schema: {
          operationId: 'listManifests',
          summary: "The tenant's manifests, newest first",
          description:
            'Pages through the manifests with an opaque cursor: pass nextCursor back as cursor; no nextCursor means the last page.',
          tags: ['manifests'],
          querystring: Type.Object({
            limit: Type.Optional(
              Type.Integer({ minimum: 1, maximum: MAX_MANIFEST_PAGE, default: DEFAULT_MANIFEST_PAGE, description: 'Manifests per page' }),
            ),
            cursor: Type.Optional(
              Type.String({ description: 'The nextCursor of the previous page', examples: [EXAMPLES.manifestList.nextCursor] }),
            ),
          }),
          response: withErrors({ 200: ManifestListSchema }, [...AUTH_ERRORS, 'invalid_request']),
        },
      },
      async (request) => {
        const page = await service.listManifests(principalOf(request), request.query);
        const origin = siteOriginOf(request, siteDomain);
        return { ...page, manifests: page.manifests.map((manifest) => withPreviewUrl(origin, manifest)) };
      },
    );

    const getManifest = (operationId: string, summary: string) => ({
      operationId,
      summary,
      tags: ['manifests'],
      params: Type.Object({ manifestId: ManifestIdParam }),
      response: withErrors({ 200: ManifestSchema }, [...AUTH_ERRORS, 'invalid_request', 'manifest_not_found']),
    });
    app.get(
      '/v1/manifests/:manifestId',
      // The explicit HEAD below answers HEAD for this path, and the document shows it.
      {
        exposeHeadRoute: false,
        config: { auth: { scope: 'read' } },
        schema: getManifest('getManifest', 'A completed manifest with its files'),
      },
      async (request) =>
        withPreviewUrl(siteOriginOf(request, siteDomain), await service.getManifest(principalOf(request), request.params.manifestId)),
    );
    app.head(
      '/v1/manifests/:manifestId',
      {
        config: {
          auth: { scope: 'read' },
          openapi: { responses: { 200: { description: 'The tenant holds the manifest', content: {} } } },
          swagger: { exposeHeadRoute: true },
        },
        schema: getManifest('headManifest', 'Whether the tenant holds a manifest, without its file list'),
      },
      // The GET's answer, whose body Node leaves out of a HEAD: the same status, type and length.
      async (request) =>
        withPreviewUrl(siteOriginOf(request, siteDomain), await service.getManifest(principalOf(request), request.params.manifestId)),
    );
  };
}
