// Builds the Fastify app: logging, errors, auth, metrics, OpenAPI, and the routes of API.md.
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { AppError, ERRORS, type ErrorCode } from '../domain/errors.js';
import type { Authenticator } from '../domain/authentication.js';
import type { UploadService } from '../domain/upload-service.js';
import type { BlobStore } from '../domain/ports/blob-store.js';
import type { MetadataStore } from '../domain/ports/metadata-store.js';
import { authHook } from './auth.js';
import { installErrorHandler, sendError } from './error-handler.js';
import { createRateLimiter } from './rate-limit.js';
import type { Metrics } from './metrics.js';
import { batchRoutes } from './routes/batch.js';
import { blobRoutes } from './routes/blobs.js';
import { manifestRoutes } from './routes/manifests.js';
import { opsRoutes, type Lifecycle } from './routes/ops.js';
import { sessionRoutes } from './routes/sessions.js';
import { webRoutes } from './routes/web.js';

export interface AppDeps {
  readonly config: Config;
  readonly service: UploadService;
  readonly authenticator: Authenticator;
  readonly metadata: MetadataStore;
  readonly blobs: BlobStore;
  readonly metrics: Metrics;
  readonly lifecycle: Lifecycle;
  /** false silences request logs (tests); otherwise pino at config.logLevel. */
  readonly logger?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    logger:
      deps.logger === false
        ? false
        : {
            level: config.logLevel,
            redact: { paths: ['req.headers.authorization', 'req.headers["x-upload-token"]', 'uploadToken'], censor: '[redacted]' },
          },
    bodyLimit: config.maxJsonBodyBytes,
    // One line per request, written when it is answered (below), instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Bodies are timed by their idle gaps (bodyWithIdleTimeout), not by a whole-request deadline that
    // would cut long uploads.
    requestTimeout: 0,
    connectionTimeout: 0,
    keepAliveTimeout: 75_000,
    exposeHeadRoutes: false,
    // Requests already on a connection when draining starts reach our routes (/readyz answers not_ready,
    // the rest finish with Connection: close) instead of Fastify's own 503 body, which is not API.md's shape.
    return503OnClosing: false,
    requestIdHeader: 'x-request-id',
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    clientErrorHandler: (err, socket) => {
      const code = (err as { code?: string }).code;
      const error = code === 'HPE_HEADER_OVERFLOW' ? new AppError('headers_too_large') : new AppError('invalid_request', 'The request is not valid HTTP.');
      if (socket.writable) {
        const body = JSON.stringify({ error: error.code, message: error.message });
        socket.end(`HTTP/1.1 ${error.status} ${error.code}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      } else {
        socket.destroy();
      }
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onRequest', authHook(deps.authenticator, createRateLimiter(config.rateLimitPerMinute)));
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    request.log.info({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
    deps.metrics.requests.inc({ method: request.method, route, status: reply.statusCode });
    deps.metrics.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  installErrorHandler(app);

  await app.register(swagger, {
    exposeHeadRoutes: true,
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'PressCloud upload API',
        version: '1.0.0',
        description: 'Content-addressed uploads of directories: create a session from a manifest, PUT the missing blobs, complete it into an immutable manifest.',
      },
      components: {
        schemas: { Error: errorComponentSchema() },
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API token (pct_…) with the upload or read scope' },
          uploadToken: { type: 'apiKey', in: 'header', name: 'X-Upload-Token', description: 'The upload session\'s token (pcu_…)' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const routes: Array<{ method: string; pattern: RegExp }> = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const pattern = new RegExp(`^${route.url.replace(/:[^/]+/g, '[^/]+').replace(/\*/g, '.*')}/?$`);
    for (const method of methods) routes.push({ method, pattern });
  });

  await app.register(sessionRoutes(deps.service));
  await app.register(blobRoutes(deps.service, { bodyTimeoutMs: config.bodyTimeoutSeconds * 1000 }));
  const batchLimits = { maxParts: config.maxBatchParts, maxBytes: config.maxBatchBytes };
  await app.register(batchRoutes(deps.service, { bodyTimeoutMs: config.bodyTimeoutSeconds * 1000, ...batchLimits }));
  await app.register(manifestRoutes(deps.service));
  await app.register(opsRoutes(deps));
  await app.register(webRoutes());

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))];
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendError(reply, new AppError('method_not_allowed', `${request.method} is not allowed here; use ${allowed.join(' or ')}.`));
    }
    return sendError(reply, new AppError('not_found', `No route for ${request.method} ${path}.`));
  });

  return app;
}

/** Every code of the table, with its status: the shape of every non-2xx answer, on any route. */
function errorComponentSchema() {
  return {
    type: 'object' as const,
    required: ['error', 'message'],
    description: 'Every non-2xx answer, on every route (unknown routes and wrong methods included).',
    properties: {
      error: {
        type: 'string' as const,
        enum: Object.keys(ERRORS),
        description: (Object.keys(ERRORS) as ErrorCode[]).map((code) => `${code} (${ERRORS[code].status})`).join(', '),
      },
      message: { type: 'string' as const },
    },
  };
}
