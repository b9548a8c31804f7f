// GET /v1/manifests: the query's limit and opaque cursor checked, and a page of the tenant's manifests.
import type { ManifestPage, ManifestReader } from './ports/metadata-store.js';
import { AppError } from './errors.js';
import type { ManifestRecordPage } from './types.js';

export const DEFAULT_MANIFEST_PAGE = 100;
export const MAX_MANIFEST_PAGE = 1000;

export interface ManifestListQuery {
  /** As sent in the query string: `limit` and `cursor`, each at most once. */
  readonly limit?: unknown;
  readonly cursor?: unknown;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export async function listManifests(
  metadata: Pick<ManifestReader, 'listManifests'>,
  tenantId: string,
  query: ManifestListQuery,
): Promise<ManifestRecordPage> {
  const limit = parseLimit(query.limit);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  // One more than the page tells whether another page follows, without a count.
  const found = await metadata.listManifests(tenantId, { limit: limit + 1, after });
  const manifests = found.slice(0, limit);
  const last = manifests.at(-1);
  return found.length > limit && last
    ? { manifests, nextCursor: encodeCursor({ createdAt: last.createdAt, manifestId: last.manifestId }) }
    : { manifests };
}

function parseLimit(raw: unknown): number {
  if (raw === undefined) return DEFAULT_MANIFEST_PAGE;
  const limit = typeof raw === 'string' && /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_MANIFEST_PAGE)) {
    throw new AppError('invalid_request', `limit must be one integer from 1 to ${MAX_MANIFEST_PAGE}.`);
  }
  return limit;
}

/** The position after a manifest, as base64url JSON: opaque to clients, and checked when it comes back. */
function encodeCursor(after: NonNullable<ManifestPage['after']>): string {
  return Buffer.from(JSON.stringify([after.createdAt, after.manifestId])).toString('base64url');
}

function decodeCursor(raw: unknown): NonNullable<ManifestPage['after']> {
  const invalid = new AppError('invalid_request', 'cursor is not a nextCursor this server gave out.');
  if (typeof raw !== 'string' || !/^[A-Za-z0-9_-]{1,400}$/.test(raw)) throw invalid;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalid;
  const [createdAt, manifestId] = value as unknown[];
  if (typeof createdAt !== 'string' || !ISO_INSTANT.test(createdAt) || typeof manifestId !== 'string' || manifestId === '') throw invalid;
  return { createdAt, manifestId };
}
