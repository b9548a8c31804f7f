// What each application error (domain/errors.ts) is on the wire: its HTTP status, one line per code, as
// distribution's errcode registers them. A code added to the domain's table without a line here fails to compile.
import type { ErrorCode } from '../domain/errors.js';

export const HTTP_STATUS = {
  invalid_request: 400,
  invalid_json: 400,
  invalid_sha256: 400,
  unsupported_content_type: 400,
  size_mismatch: 400,
  digest_mismatch: 400,
  unsupported_checksum_algorithm: 400,
  unauthenticated: 401,
  invalid_token: 401,
  forbidden: 403,
  invalid_upload_token: 403,
  not_found: 404,
  session_not_found: 404,
  blob_not_in_session: 404,
  manifest_not_found: 404,
  blob_not_found: 404,
  alias_not_found: 404,
  upload_not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  session_not_open: 409,
  alias_taken: 409,
  manifest_in_use: 409,
  blobs_missing: 409,
  offset_mismatch: 409,
  session_expired: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unsupported_tus_version: 412,
  upload_locked: 423,
  range_not_satisfiable: 416,
  headers_too_large: 431,
  rate_limited: 429,
  checksum_mismatch: 460,
  internal_error: 500,
  storage_unavailable: 503,
  not_ready: 503,
  insufficient_storage: 507,
} as const satisfies Record<ErrorCode, number>;

export function statusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/** The codes a route can answer with, grouped by status, for its OpenAPI responses. */
export function statusesOf(codes: readonly ErrorCode[]): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = statusOf(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return byStatus;
}
