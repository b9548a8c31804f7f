// The one table of application errors: each code names what went wrong, with a default message. What a code
// means on the wire (its status, its headers) is http/'s business: http/error-status.ts, one line per code.

export const ERRORS = {
  invalid_request: { message: 'The request is not valid.' },
  invalid_json: { message: 'The request body is not valid JSON.' },
  invalid_sha256: { message: 'The sha256 must be 64 hexadecimal digits.' },
  unsupported_content_type: { message: 'The Content-Type must be application/octet-stream.' },
  size_mismatch: { message: "The body's length differs from the size in the manifest." },
  digest_mismatch: { message: 'The bytes received do not hash to the sha256 in the path.' },
  unsupported_checksum_algorithm: { message: 'Upload-Checksum names an algorithm this server does not take (sha1, sha256).' },
  unauthenticated: { message: 'Authentication is required.' },
  invalid_token: { message: 'The API token is unknown or revoked.' },
  forbidden: { message: 'The token lacks the scope this operation needs.' },
  invalid_upload_token: { message: "The X-Upload-Token is not this session's." },
  not_found: { message: 'No such route.' },
  session_not_found: { message: 'No such upload session.' },
  blob_not_in_session: { message: "The session's manifest does not name this sha256." },
  manifest_not_found: { message: 'No such manifest.' },
  blob_not_found: { message: 'No such blob.' },
  alias_not_found: { message: 'No such alias.' },
  upload_not_found: { message: 'No such resumable upload (unknown, terminated, or dropped after a wrong digest).' },
  method_not_allowed: { message: 'This method is not allowed on this route.' },
  request_timeout: { message: 'The request body did not arrive in time.' },
  session_not_open: { message: 'The upload session is completed or aborted.' },
  alias_taken: { message: 'Another tenant holds this alias name.' },
  manifest_in_use: { message: 'An alias points at this manifest; point it elsewhere or delete it first.' },
  blobs_missing: { message: 'Some blobs of the session have not been uploaded yet.' },
  offset_mismatch: { message: "Upload-Offset is not the upload's offset; ask HEAD for it." },
  session_expired: { message: 'The upload session has expired; create a new session to upload these files.' },
  payload_too_large: { message: 'The request body is too large.' },
  unsupported_media_type: { message: 'The Content-Type must be application/json.' },
  unsupported_tus_version: { message: 'Send Tus-Resumable: 1.0.0; this server speaks tus 1.0.0.' },
  upload_locked: { message: 'Another request is writing this upload; retry shortly.' },
  range_not_satisfiable: { message: 'The requested range is not satisfiable.' },
  headers_too_large: { message: 'The request headers are too large.' },
  rate_limited: { message: 'Too many requests; retry later.' },
  checksum_mismatch: { message: "The PATCH's bytes do not match its Upload-Checksum; none were kept." },
  internal_error: { message: 'An internal error occurred.' },
  storage_unavailable: { message: 'The storage backend is unavailable; retry later.' },
  not_ready: { message: 'The service is not ready.' },
  insufficient_storage: { message: 'The storage backend is out of space.' },
} as const satisfies Record<string, { message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/**
 * An error a client caused or must know about; `extra` fields go into the body beside error and message;
 * `retryAfterSeconds` says when trying again makes sense (a passing state: a blob being collected).
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly extra: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options?: { extra?: Record<string, unknown>; retryAfterSeconds?: number; cause?: unknown },
  ) {
    super(message ?? ERRORS[code].message, { cause: options?.cause });
    this.name = 'AppError';
    this.code = code;
    this.extra = options?.extra;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
