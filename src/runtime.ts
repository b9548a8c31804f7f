// Opens the two stores the configuration names and the service over them.
import { existsSync } from 'node:fs';
import { DEFAULT_CONFIG, type Config } from './config.js';
import { BlobIngest, type IngestMetrics } from './domain/blob-ingest.js';
import type { PartialUploadStore } from './domain/ports/resumable-uploads.js';
import { ResumableUploads } from './domain/resumable-uploads.js';
import { type ServiceMetrics, UploadService } from './domain/upload-service.js';
import type { BlobStore } from './domain/ports/blob-store.js';
import { FsBlobStore } from './storage/blob/fs-blob-store.js';
import { openDatabase, sqlitePath } from './storage/metadata/database.js';
import type { MetadataStore } from './domain/ports/metadata-store.js';
import { SqlMetadataStore } from './storage/metadata/sql-metadata-store.js';

export interface Backends {
  readonly metadata: MetadataStore;
  readonly blobs: BlobStore;
  /** Where resumable uploads' partial bytes wait (the data directory, or S3 multipart uploads). */
  readonly partials: PartialUploadStore;
}

export interface BackendOptions {
  /** PostgreSQL schema (tests give each run its own). */
  readonly databaseSchema?: string;
}

/** Whether the embedded default's SQLite database exists: opening one that does not would create it. */
export function embeddedDatabaseExists(config: Pick<Config, 'dataDir'>): boolean {
  return existsSync(sqlitePath(config.dataDir));
}

/** Opens and migrates the metadata store. */
export async function openMetadataStore(
  config: Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'smallBlobMaxBytes'>>,
  options: BackendOptions = {},
): Promise<MetadataStore> {
  const { db, adapter } = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, schema: options.databaseSchema });
  const store = new SqlMetadataStore(db, adapter, config.smallBlobMaxBytes ?? DEFAULT_CONFIG.smallBlobMaxBytes);
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

export async function openBlobStore(
  config: Pick<Config, 'blobStore' | 'dataDir'> & Partial<Pick<Config, 's3SinglePutMaxBytes' | 'hashWorkers' | 'fsSyncEveryBytes'>>,
): Promise<BlobStore> {
  if (config.blobStore) {
    const { createS3BlobStore } = await import('./storage/blob/s3/s3-blob-store.js');
    return createS3BlobStore(config.blobStore, { singlePutMaxBytes: config.s3SinglePutMaxBytes });
  }
  return new FsBlobStore(config.dataDir, { hashWorkers: config.hashWorkers, backgroundSyncBytes: config.fsSyncEveryBytes });
}

export async function openBackends(config: Config, options: BackendOptions = {}): Promise<Backends> {
  const metadata = await openMetadataStore(config, options);
  try {
    const blobs = await openBlobStore(config);
    await blobs.init();
    return { metadata, blobs, partials: openPartialUploadStore(blobs, config.dataDir) };
  } catch (err) {
    await metadata.close();
    throw err;
  }
}

/** The partial store that goes with the blob store: resumable uploads commit through it. */
export function openPartialUploadStore(blobs: BlobStore, dataDir: string): PartialUploadStore {
  if (blobs instanceof FsBlobStore) return blobs.partialUploads(dataDir);
  if ('partialUploads' in blobs && typeof blobs.partialUploads === 'function') return blobs.partialUploads() as PartialUploadStore;
  throw new Error(`the ${blobs.kind} blob store has no resumable uploads`);
}

/** Resumable uploads over the backends; the server serves them, `presscloud gc` expires them. `now`: the service's clock. */
export function createResumableUploads(
  config: Pick<Config, 'maxBlobSize'>,
  backends: Backends,
  metrics: IngestMetrics,
  now: () => Date = () => new Date(),
): ResumableUploads {
  const ingest = new BlobIngest(backends.metadata, backends.blobs, metrics, now);
  return new ResumableUploads(backends.metadata, backends.partials, ingest, metrics, { maxBlobSize: config.maxBlobSize }, now);
}

export function createService(config: Config, backends: Backends, metrics: ServiceMetrics, now?: () => Date): UploadService {
  return new UploadService(
    backends.metadata,
    backends.blobs,
    { maxBlobSize: config.maxBlobSize, maxManifestFiles: config.maxManifestFiles },
    metrics,
    now,
  );
}
