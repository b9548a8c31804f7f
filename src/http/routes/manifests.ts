// Completed manifests, read back by id.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { UploadService } from '../../domain/upload-service.js';
import { principalOf } from '../auth.js';
import { AUTH_ERRORS, ManifestSchema, withErrors } from '../schemas.js';

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
          security: [{ bearer: [] }],
          params: Type.Object({ manifestId: Type.String() }),
          response: withErrors({ 200: ManifestSchema }, [...AUTH_ERRORS, 'manifest_not_found']),
        },
      },
      async (request) => service.getManifest(principalOf(request), request.params.manifestId),
    );
  };
}
