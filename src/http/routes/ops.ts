// Operations: liveness, readiness (both backends reachable, not draining), metrics, the OpenAPI document.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../domain/errors.js';
import type { BlobStore } from '../../domain/ports/blob-store.js';
import type { MetadataStore } from '../../domain/ports/metadata-store.js';
import type { Metrics } from '../metrics.js';
import { EXAMPLES } from '../examples.js';
import { withErrors } from '../schemas.js';

export interface Lifecycle {
  draining: boolean;
}

export function opsRoutes(deps: {
  metadata: MetadataStore;
  blobs: BlobStore;
  metrics: Metrics;
  lifecycle: Lifecycle;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          operationId: 'healthz',
          summary: 'The process is alive',
          tags: ['operations'],
          response: withErrors(
            { 200: Type.Object({ status: Type.Literal('ok') }, { description: 'Alive.', examples: [EXAMPLES.healthz] }) },
            [],
          ),
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          operationId: 'readyz',
          summary: 'The database and the blob store are reachable, and the instance is not draining',
          tags: ['operations'],
          response: withErrors(
            {
              200: Type.Object(
                {
                  status: Type.Literal('ready'),
                  database: Type.String({ description: 'sqlite or postgres' }),
                  blobStore: Type.String({ description: 'fs or s3' }),
                },
                { description: 'Ready to take traffic.', examples: [EXAMPLES.readyz] },
              ),
            },
            ['not_ready'],
          ),
        },
      },
      async (request) => {
        if (deps.lifecycle.draining) throw new AppError('not_ready', 'The instance is shutting down.');
        const [database, blobStore] = await Promise.allSettled([deps.metadata.checkReady(), deps.blobs.checkReady()]);
        const failed = [database.status === 'rejected' ? 'database' : null, blobStore.status === 'rejected' ? 'blob store' : null].filter(
          Boolean,
        );
        if (failed.length > 0) {
          request.log.warn({ database, blobStore }, 'not ready');
          throw new AppError('not_ready', `Unreachable: ${failed.join(' and ')}.`);
        }
        return { status: 'ready' as const, database: deps.metadata.dialect, blobStore: deps.blobs.kind };
      },
    );

    app.get(
      '/metrics',
      {
        // The text is not JSON: its 200 is described by the route's RouteDoc; its errors are JSON like every error.
        config: {
          openapi: {
            responses: {
              200: {
                description: 'Prometheus text exposition format 0.0.4.',
                content: { 'text/plain': { schema: { type: 'string' }, example: EXAMPLES.metrics } },
              },
            },
          },
        },
        schema: { operationId: 'metrics', summary: 'Prometheus metrics', tags: ['operations'], response: withErrors({}, []) },
      },
      async (_request, reply) => {
        reply.type(deps.metrics.registry.contentType);
        return deps.metrics.registry.metrics();
      },
    );

    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  };
}
