// Builds the Fastify app: logging, errors, auth, metrics, OpenAPI, and the routes of API.md.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Authenticator } from '../domain/authentication.js';
import type { ResumableUploads } from '../domain/resumable-uploads.js';
import type { UploadService } from '../domain/upload-service.js';
import type { BlobStore } from '../domain/ports/blob-store.js';
import type { MetadataStore } from '../domain/ports/metadata-store.js';
import { installAccessLog } from './access-log.js';
import { authHook } from './auth.js';
import { DEFAULT_DRAIN_LIMITS, type DrainLimits } from './body-drain.js';
import { clientErrorHandler } from './client-errors.js';
import { installContentTypeParsers } from './content-types.js';
import { trackRequestBodies } from './cut-body.js';
import { installErrorHandler } from './error-handler.js';
import { installExpectContinue } from './expect-continue.js';
import { installNotFoundHandler } from './not-found.js';
import { openApiOptions } from './openapi/document.js';
import { docsUiOptions } from './openapi/docs-ui.js';
import { createRateLimiter } from './rate-limit.js';
import type { Metrics } from './metrics.js';
import { requestIdOf } from './request-id.js';
import { accessRoutes } from './routes/access.js';
import { batchRoutes } from './routes/batch.js';
import { blobRoutes } from './routes/blobs.js';
import { manifestRoutes } from './routes/manifests.js';
import { opsRoutes, type Lifecycle } from './routes/ops.js';
import { sessionRoutes } from './routes/sessions.js';
import { tusRoutes } from './routes/tus.js';
import { webRoutes } from './routes/web.js';
import { aliasRoutes } from './routes/aliases.js';
import { frameworkErrors, installSiteHosts, siteHosting } from './site/site-host.js';
import { AliasService } from '../domain/aliases.js';

export interface AppDeps {
  readonly config: Config;
  readonly service: UploadService;
  readonly authenticator: Authenticator;
  readonly metadata: MetadataStore;
  readonly blobs: BlobStore;
  readonly metrics: Metrics;
  readonly lifecycle: Lifecycle;
  /** tus on sessions (routes/tus.ts); absent, those routes are not served. */
  readonly resumable?: ResumableUploads;
  /** false silences request logs (tests); otherwise pino at config.logLevel. */
  readonly logger?: boolean;
  /** How much of an unread body an early error reads before answering (tests make it small). */
  readonly drain?: DrainLimits;
}

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
    // One line per request, written when it is answered (access-log.ts), instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Bodies are timed by their idle gaps (bodyWithIdleTimeout), not by a whole-request deadline that
    // would cut long uploads.
    requestTimeout: 0,
    connectionTimeout: 0,
    keepAliveTimeout: 75_000,
    exposeHeadRoutes: true,
    // Requests already on a connection when draining starts reach our routes (/readyz answers not_ready,
    // the rest finish with Connection: close) instead of Fastify's own 503 body, which is not API.md's shape.
    return503OnClosing: false,
    // Off, so that genReqId sees every request: Fastify would otherwise take the header as it comes.
    requestIdHeader: false,
    genReqId: (req) => requestIdOf(req.headers['x-request-id']),
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, verbose: true } },
    frameworkErrors: frameworkErrors(config.siteDomain, config.maxJsonBodyBytes),
    // Fastify calls it bound to the instance.
    clientErrorHandler(this: FastifyInstance, err, socket) {
      clientErrorHandler(this.log, err, socket);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // onRequest hooks run in this order: the request id and access log, body tracking, site hosts, unknown paths, then
  // authentication.
  installAccessLog(app, deps.metrics);
  // Before any hook that waits (sites, authentication): a half-close that arrives meanwhile is answered 400.
  trackRequestBodies(app);
  installSiteHosts(app, siteHosting(config.siteDomain, deps.metadata, deps.blobs));
  installNotFoundHandler(app);
  app.addHook('onRequest', authHook(deps.authenticator, createRateLimiter(config.rateLimitPerMinute)));
  installErrorHandler(app, { maxJsonBodyBytes: config.maxJsonBodyBytes, drain: deps.drain ?? DEFAULT_DRAIN_LIMITS });
  installContentTypeParsers(app, config.maxJsonBodyBytes);
  installExpectContinue(app);

  await app.register(swagger, openApiOptions());
  await app.register(swaggerUi, docsUiOptions());

  await app.register(sessionRoutes(deps.service, config));
  await app.register(blobRoutes(deps.service, { bodyTimeoutMs: config.bodyTimeoutSeconds * 1000 }));
  const batchLimits = { maxParts: config.maxBatchParts, maxBytes: config.maxBatchBytes };
  await app.register(batchRoutes(deps.service, { bodyTimeoutMs: config.bodyTimeoutSeconds * 1000, ...batchLimits }));
  await app.register(manifestRoutes(deps.service, config.siteDomain));
  await app.register(aliasRoutes(new AliasService(deps.metadata), config.siteDomain));
  if (deps.resumable) {
    await app.register(tusRoutes(deps.resumable, { bodyTimeoutMs: config.bodyTimeoutSeconds * 1000, maxBlobSize: config.maxBlobSize }));
  }
  await app.register(opsRoutes(deps));
  await app.register(webRoutes());
  await app.register(accessRoutes());

  return app;
}
