// Completed manifests, read back by id.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { UploadService } from '../../domain/upload-service.js';
import { principalOf } from '../auth.js';
import { AUTH_ERRORS, ManifestIdParam, ManifestSchema, withErrors } from '../schemas.js';

export function manifestRoutes(service: UploadService): FastifyPluginAsyncTypebox {
  return async (app) => {
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
      async (request) => service.getManifest(principalOf(request), request.params.manifestId),
    );
  };
}
