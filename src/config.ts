// One schema for the server's settings: each has a flag, an environment variable and a default;
// validated once at start and frozen.
import path from 'node:path';

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** postgres://… selects PostgreSQL; absent means SQLite in dataDir. */
  readonly databaseUrl: string | undefined;
  /** s3://bucket/prefix selects the S3 store; absent means files in dataDir. */
  readonly blobStore: string | undefined;
  /** Blobs up to this size reach S3 in one verified PutObject; larger ones by multipart upload. */
  readonly s3SinglePutMaxBytes: number;
  /** Threads hashing blobs written to the data directory; 0 hashes them on the event loop. */
  readonly hashWorkers: number;
  /** Bytes written between background fdatasyncs of a blob file being received; 0 turns them off. */
  readonly fsSyncEveryBytes: number;
  readonly maxBlobSize: number;
  /** Blobs up to this size keep their bytes in SQLite with their rows (embedded default only); 0: all files. */
  readonly smallBlobMaxBytes: number;
  readonly maxManifestFiles: number;
  readonly maxJsonBodyBytes: number;
  readonly maxBatchParts: number;
  readonly maxBatchBytes: number;
  readonly bodyTimeoutSeconds: number;
  readonly shutdownTimeoutSeconds: number;
  readonly gcIntervalSeconds: number;
  readonly gcGraceSeconds: number;
  readonly sessionRetentionSeconds: number;
  readonly rateLimitPerMinute: number;
  readonly logLevel: string;
  /** Sites are served at `{label}.{siteDomain}` (a manifest's preview, an alias). */
  readonly siteDomain: string;
}

export interface Setting {
  readonly key: keyof Config;
  readonly flag: string;
  readonly env: string;
  readonly description: string;
  readonly kind: 'string' | 'integer' | 'optional-string';
  /** The flag's value in help, `<dir>` style; `<n>` for integers when absent. */
  readonly placeholder?: string;
  readonly default?: string | number;
  readonly min?: number;
  readonly max?: number;
}

export const SETTINGS: readonly Setting[] = [
  {
    key: 'host',
    flag: 'host',
    placeholder: '<address>',
    env: 'PRESSCLOUD_HOST',
    kind: 'string',
    default: '127.0.0.1',
    description: 'address to listen on',
  },
  {
    key: 'port',
    flag: 'port',
    env: 'PRESSCLOUD_PORT',
    kind: 'integer',
    default: 8080,
    min: 0,
    max: 65535,
    description: 'port to listen on; 0 picks a free one',
  },
  {
    key: 'dataDir',
    flag: 'data-dir',
    placeholder: '<dir>',
    env: 'PRESSCLOUD_DATA_DIR',
    kind: 'string',
    default: './data',
    description: 'directory of the SQLite database and blob files',
  },
  {
    key: 'databaseUrl',
    flag: 'database-url',
    placeholder: '<url>',
    env: 'PRESSCLOUD_DATABASE_URL',
    kind: 'optional-string',
    description: 'postgres://… to keep metadata in PostgreSQL instead of SQLite',
  },
  {
    key: 'blobStore',
    flag: 'blob-store',
    placeholder: '<url>',
    env: 'PRESSCLOUD_BLOB_STORE',
    kind: 'optional-string',
    description: 's3://bucket/prefix to keep blobs in S3/R2/MinIO instead of the data directory',
  },
  {
    key: 's3SinglePutMaxBytes',
    flag: 's3-single-put-max',
    placeholder: '<bytes>',
    env: 'PRESSCLOUD_S3_SINGLE_PUT_MAX',
    kind: 'integer',
    default: 8 * 1024 ** 2,
    min: 0,
    max: 5 * 1024 ** 3,
    description: 'blobs up to this size go to S3 in one PUT, held in memory until verified; larger ones by multipart upload',
  },
  {
    key: 'hashWorkers',
    flag: 'hash-workers',
    placeholder: '<n>',
    env: 'PRESSCLOUD_HASH_WORKERS',
    kind: 'integer',
    default: 0,
    min: 0,
    max: 64,
    description: 'threads hashing blobs written to the data directory; 0 hashes them inline, the default; others are for A/B measurements',
  },
  {
    key: 'fsSyncEveryBytes',
    flag: 'fs-sync-every',
    placeholder: '<bytes>',
    env: 'PRESSCLOUD_FS_SYNC_EVERY',
    kind: 'integer',
    default: 64 * 1024 ** 2,
    min: 0,
    description: 'bytes of a blob file written between background fdatasyncs while it is received; 0 leaves it all to the final one',
  },
  {
    key: 'maxBlobSize',
    flag: 'max-blob-size',
    placeholder: '<bytes>',
    env: 'PRESSCLOUD_MAX_BLOB_SIZE',
    kind: 'integer',
    default: 5 * 1024 ** 3,
    min: 0,
    description: 'largest blob accepted, in bytes',
  },
  {
    key: 'smallBlobMaxBytes',
    flag: 'small-blob-max',
    placeholder: '<bytes>',
    env: 'PRESSCLOUD_SMALL_BLOB_MAX',
    kind: 'integer',
    default: 64 * 1024,
    min: 0,
    max: 16 * 1024 ** 2,
    description: 'blobs up to this size keep their bytes in the SQLite database, not in files; 0 keeps every blob a file',
  },
  {
    key: 'maxManifestFiles',
    flag: 'max-manifest-files',
    env: 'PRESSCLOUD_MAX_MANIFEST_FILES',
    kind: 'integer',
    default: 100_000,
    min: 1,
    description: 'most files in one upload session',
  },
  {
    key: 'maxJsonBodyBytes',
    flag: 'max-json-body',
    placeholder: '<bytes>',
    env: 'PRESSCLOUD_MAX_JSON_BODY',
    kind: 'integer',
    default: 64 * 1024 ** 2,
    min: 1024,
    description: 'largest JSON request body, in bytes',
  },
  {
    key: 'maxBatchParts',
    flag: 'max-batch-parts',
    placeholder: '<n>',
    env: 'PRESSCLOUD_MAX_BATCH_PARTS',
    kind: 'integer',
    default: 1000,
    min: 1,
    description: 'most parts in one batch upload request',
  },
  {
    key: 'maxBatchBytes',
    flag: 'max-batch-bytes',
    placeholder: '<bytes>',
    env: 'PRESSCLOUD_MAX_BATCH_BYTES',
    kind: 'integer',
    default: 256 * 1024 ** 2,
    min: 1024,
    description: 'largest batch upload request body, in bytes',
  },
  {
    key: 'bodyTimeoutSeconds',
    flag: 'body-timeout',
    placeholder: '<seconds>',
    env: 'PRESSCLOUD_BODY_TIMEOUT',
    kind: 'integer',
    default: 60,
    min: 1,
    description: 'seconds a request body may stall before the request is dropped',
  },
  {
    key: 'shutdownTimeoutSeconds',
    flag: 'shutdown-timeout',
    placeholder: '<seconds>',
    env: 'PRESSCLOUD_SHUTDOWN_TIMEOUT',
    kind: 'integer',
    default: 30,
    min: 0,
    description: 'seconds in-flight requests get to finish on SIGTERM',
  },
  {
    key: 'gcIntervalSeconds',
    flag: 'gc-interval',
    placeholder: '<seconds>',
    env: 'PRESSCLOUD_GC_INTERVAL',
    kind: 'integer',
    default: 3600,
    min: 0,
    description: 'seconds between garbage collections inside serve; 0 turns them off',
  },
  {
    key: 'gcGraceSeconds',
    flag: 'gc-grace-seconds',
    placeholder: '<seconds>',
    env: 'PRESSCLOUD_GC_GRACE_SECONDS',
    kind: 'integer',
    default: 3600,
    min: 0,
    description: 'an unreferenced blob younger than this is kept',
  },
  {
    key: 'sessionRetentionSeconds',
    flag: 'session-retention',
    placeholder: '<seconds>',
    env: 'PRESSCLOUD_SESSION_RETENTION',
    kind: 'integer',
    default: 7 * 86_400,
    min: 0,
    description: 'seconds a completed, aborted or expired session is kept before garbage collection purges it',
  },
  {
    key: 'rateLimitPerMinute',
    flag: 'rate-limit',
    env: 'PRESSCLOUD_RATE_LIMIT',
    kind: 'integer',
    default: 0,
    min: 0,
    description: 'requests per minute allowed per API token; 0 means no limit',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    placeholder: '<level>',
    env: 'PRESSCLOUD_LOG_LEVEL',
    kind: 'string',
    default: 'info',
    description: 'fatal, error, warn, info, debug or trace',
  },
  {
    key: 'siteDomain',
    flag: 'site-domain',
    placeholder: '<domain>',
    env: 'PRESSCLOUD_SITE_DOMAIN',
    kind: 'string',
    default: 'localhost',
    description: 'sites are served at NAME.<domain> for aliases and ID.<domain> for previews',
  },
];

export const DEFAULT_CONFIG: Config = buildConfig({}, {});

/** A setting with a value it cannot take; `source` says whether the user typed it as a flag or set its variable. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly setting: Setting,
    readonly source: 'flag' | 'env',
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface BuildOptions {
  /** The flag a command calls a setting when not its own (`gc --grace-seconds`), so errors name what was typed. */
  readonly flagNames?: Partial<Record<keyof Config, string>>;
}

/**
 * Merges flags over environment variables over defaults. `flags` is keyed by Config key (as commander
 * gives them); `env` is usually process.env. Throws a ConfigError naming the flag or variable that was set.
 */
export function buildConfig(flags: Partial<Record<keyof Config, unknown>>, env: NodeJS.ProcessEnv, options: BuildOptions = {}): Config {
  const values: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const flag = flags[setting.key];
    const fromEnv = flag === undefined && env[setting.env] !== undefined;
    const raw = flag ?? env[setting.env] ?? setting.default;
    const name = fromEnv ? setting.env : (options.flagNames?.[setting.key] ?? `--${setting.flag}`);
    values[setting.key] = parseSetting(setting, raw, name, fromEnv ? 'env' : 'flag');
  }
  values.dataDir = path.resolve(values.dataDir as string);
  return Object.freeze(values as unknown as Config);
}

export function configWith(overrides: Partial<Config>): Config {
  return Object.freeze({ ...DEFAULT_CONFIG, ...overrides });
}

/** The value shown for a setting in help, `<dir>` style. */
export function placeholderOf(setting: Setting): string {
  return setting.placeholder ?? (setting.kind === 'integer' ? '<n>' : '<text>');
}

function parseSetting(setting: Setting, raw: unknown, name: string, source: 'flag' | 'env'): unknown {
  if (raw === undefined || raw === '') {
    if (setting.kind === 'optional-string') return undefined;
    throw new ConfigError(`${name} must not be empty`, setting, source);
  }
  if (setting.kind !== 'integer') return String(raw);
  const text = String(raw).trim();
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (
    !Number.isSafeInteger(value) ||
    (setting.min !== undefined && value < setting.min) ||
    (setting.max !== undefined && value > setting.max)
  ) {
    const range = setting.max === undefined ? `${setting.min ?? 0} or more` : `from ${setting.min ?? 0} to ${setting.max}`;
    throw new ConfigError(`${name} must be an integer, ${range}, not "${text}"`, setting, source);
  }
  return value;
}
