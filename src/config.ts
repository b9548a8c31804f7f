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
  readonly maxBlobSize: number;
  readonly maxManifestFiles: number;
  readonly maxJsonBodyBytes: number;
  readonly bodyTimeoutSeconds: number;
  readonly shutdownTimeoutSeconds: number;
  readonly gcIntervalSeconds: number;
  readonly gcGraceSeconds: number;
  readonly sessionRetentionSeconds: number;
  readonly rateLimitPerMinute: number;
  readonly logLevel: string;
}

interface Setting {
  readonly key: keyof Config;
  readonly flag: string;
  readonly env: string;
  readonly description: string;
  readonly kind: 'string' | 'integer' | 'optional-string';
  readonly default?: string | number;
  readonly min?: number;
  readonly max?: number;
}

export const SETTINGS: readonly Setting[] = [
  { key: 'host', flag: 'host', env: 'PRESSCLOUD_HOST', kind: 'string', default: '127.0.0.1', description: 'address to listen on' },
  { key: 'port', flag: 'port', env: 'PRESSCLOUD_PORT', kind: 'integer', default: 8080, min: 0, max: 65535, description: 'port to listen on (0 picks a free one)' },
  { key: 'dataDir', flag: 'data-dir', env: 'PRESSCLOUD_DATA_DIR', kind: 'string', default: './data', description: 'directory of the SQLite database and blob files' },
  { key: 'databaseUrl', flag: 'database-url', env: 'PRESSCLOUD_DATABASE_URL', kind: 'optional-string', description: 'postgres://… to keep metadata in PostgreSQL instead of SQLite' },
  { key: 'blobStore', flag: 'blob-store', env: 'PRESSCLOUD_BLOB_STORE', kind: 'optional-string', description: 's3://bucket/prefix to keep blobs in S3/R2/MinIO instead of the data directory' },
  { key: 'maxBlobSize', flag: 'max-blob-size', env: 'PRESSCLOUD_MAX_BLOB_SIZE', kind: 'integer', default: 5 * 1024 ** 3, min: 0, description: 'largest blob accepted, in bytes' },
  { key: 'maxManifestFiles', flag: 'max-manifest-files', env: 'PRESSCLOUD_MAX_MANIFEST_FILES', kind: 'integer', default: 100_000, min: 1, description: 'most files in one upload session' },
  { key: 'maxJsonBodyBytes', flag: 'max-json-body', env: 'PRESSCLOUD_MAX_JSON_BODY', kind: 'integer', default: 64 * 1024 ** 2, min: 1024, description: 'largest JSON request body, in bytes' },
  { key: 'bodyTimeoutSeconds', flag: 'body-timeout', env: 'PRESSCLOUD_BODY_TIMEOUT', kind: 'integer', default: 60, min: 1, description: 'seconds a request body may stall before the request is dropped' },
  { key: 'shutdownTimeoutSeconds', flag: 'shutdown-timeout', env: 'PRESSCLOUD_SHUTDOWN_TIMEOUT', kind: 'integer', default: 30, min: 0, description: 'seconds in-flight requests get to finish on SIGTERM' },
  { key: 'gcIntervalSeconds', flag: 'gc-interval', env: 'PRESSCLOUD_GC_INTERVAL', kind: 'integer', default: 3600, min: 0, description: 'seconds between garbage collections inside serve (0 turns them off)' },
  { key: 'gcGraceSeconds', flag: 'gc-grace-seconds', env: 'PRESSCLOUD_GC_GRACE_SECONDS', kind: 'integer', default: 3600, min: 0, description: 'an unreferenced blob younger than this is kept' },
  { key: 'sessionRetentionSeconds', flag: 'session-retention', env: 'PRESSCLOUD_SESSION_RETENTION', kind: 'integer', default: 7 * 86_400, min: 0, description: 'seconds a completed, aborted or expired session is kept before garbage collection purges it' },
  { key: 'rateLimitPerMinute', flag: 'rate-limit', env: 'PRESSCLOUD_RATE_LIMIT', kind: 'integer', default: 0, min: 0, description: 'requests per minute allowed per API token (0 means no limit)' },
  { key: 'logLevel', flag: 'log-level', env: 'PRESSCLOUD_LOG_LEVEL', kind: 'string', default: 'info', description: 'fatal, error, warn, info, debug or trace' },
];

export const DEFAULT_CONFIG: Config = buildConfig({}, {});

/**
 * Merges flags over environment variables over defaults. `flags` is keyed by Config key (as commander
 * gives them); `env` is usually process.env. Throws an Error naming the bad setting.
 */
export function buildConfig(flags: Partial<Record<keyof Config, unknown>>, env: NodeJS.ProcessEnv): Config {
  const values: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const raw = flags[setting.key] ?? env[setting.env] ?? setting.default;
    values[setting.key] = parseSetting(setting, raw);
  }
  values.dataDir = path.resolve(values.dataDir as string);
  return Object.freeze(values as unknown as Config);
}

export function configWith(overrides: Partial<Config>): Config {
  return Object.freeze({ ...DEFAULT_CONFIG, ...overrides });
}

function parseSetting(setting: Setting, raw: unknown): unknown {
  if (raw === undefined || raw === '') {
    if (setting.kind === 'optional-string') return undefined;
    throw new Error(`--${setting.flag} (${setting.env}) is required`);
  }
  if (setting.kind !== 'integer') return String(raw);
  const text = String(raw).trim();
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || (setting.min !== undefined && value < setting.min) || (setting.max !== undefined && value > setting.max)) {
    const range = `${setting.min ?? '-∞'}..${setting.max ?? '∞'}`;
    throw new Error(`--${setting.flag} (${setting.env}) must be an integer in ${range}, not "${text}"`);
  }
  return value;
}
