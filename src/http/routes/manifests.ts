// Completed manifests: the tenant's list, newest first, and one manifest read back by id.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { UploadService } from '../../domain/upload-service.js';
import { siteOriginOf, withPreviewUrl } from '../site-origin.js';
import { principalOf } from '../auth.js';
import { DEFAULT_MANIFEST_PAGE, MAX_MANIFEST_PAGE } from '../../domain/manifest-list.js';
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
              Type.String({ description: 'The nextCursor of the previous page', examples: ['WyIyMDI2LTExLTMwVDE0In0'] }),
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

    app.get(
      '/v1/manifests/:manifestId',
      {
        config: { auth: { scope: 'read' } },
        schema: {
          operationId: 'getManifest',
          summary: 'A completed manifest with its files',
          tags: ['manifests'],
          params: Type.Object({ manifestId: ManifestIdParam }),
          response: withErrors({ 200: ManifestSchema }, [...AUTH_ERRORS, 'manifest_not_found']),
        },
      },
      async (request) =>
        withPreviewUrl(siteOriginOf(request, siteDomain), await service.getManifest(principalOf(request), request.params.manifestId)),
    );
  };
}
