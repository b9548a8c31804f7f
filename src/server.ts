// A running PressCloud server: backends opened, app listening, and a graceful close.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { buildApp } from './http/app.js';
import { Metrics } from './http/metrics.js';
import type { Lifecycle } from './http/routes/ops.js';
import { createResumableUploads, createService, openBackends, type BackendOptions, type Backends } from './runtime.js';
import { Authenticator } from './domain/authentication.js';
import type { ResumableUploads } from './domain/resumable-uploads.js';
import type { UploadService } from './domain/upload-service.js';
import { collectGarbage } from './domain/garbage-collector.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly backends: Backends;
  readonly service: UploadService;
  readonly resumable: ResumableUploads;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), closes the stores. */
  close(): Promise<void>;
}

export interface ServerOptions extends BackendOptions {
  readonly logger?: boolean;
  /** The service's clock (session expiry); tests move it instead of waiting. */
  readonly now?: () => Date;
}

export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const backends = await openBackends(config, options);
  const metrics = new Metrics();
  metrics.reportBlobPlaces(backends.metadata, { database: backends.metadata.dialect, store: backends.blobs.kind });
  const service = createService(config, backends, metrics, options.now);
  const resumable = createResumableUploads(config, backends, metrics, options.now);
  const lifecycle: Lifecycle = { draining: false };
  const authenticator = new Authenticator(backends.metadata);
  const app = await buildApp({
    config,
    service,
    authenticator,
    metadata: backends.metadata,
    blobs: backends.blobs,
    metrics,
    lifecycle,
    resumable,
    logger: options.logger,
  });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await backends.metadata.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const gc = startPeriodicGarbageCollection(config, backends, resumable, app.log);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      lifecycle.draining = true;
      const gcStopped = gc.stop();
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownTimeoutSeconds * 1000).unref());
      await Promise.race([app.close(), deadline]);
      app.server.closeAllConnections();
      await gcStopped;
      await backends.blobs.close();
      await backends.metadata.close();
    })();
    return closing;
  };
  return { app, url: `http://${host}:${port}`, backends, service, resumable, close };
}

/** Collections every gcIntervalSeconds (0: none); one at a time, and stop() waits for the one running. */
function startPeriodicGarbageCollection(
  config: Config,
  backends: Backends,
  resumable: ResumableUploads,
  log: FastifyBaseLogger,
): { stop(): Promise<void> } {
  if (config.gcIntervalSeconds === 0) return { stop: async () => {} };
  let running: Promise<void> | undefined;
  const run = async () => {
    try {
      const result = await collectGarbage({
        ...backends,
        graceSeconds: config.gcGraceSeconds,
        sessionRetentionSeconds: config.sessionRetentionSeconds,
        now: new Date(),
        resumable,
      });
      log.info({ gc: result }, 'garbage collection done');
    } catch (err) {
      log.error({ err }, 'garbage collection failed');
    } finally {
      running = undefined;
    }
  };
  // unref: a pending collection never keeps the process alive on its own.
  const timer = setInterval(() => {
    running ??= run();
  }, config.gcIntervalSeconds * 1000).unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
