// The one table of application errors: each code with its HTTP status and a default message.
// The HTTP error handler turns an AppError into the seed's flat body {"error", "message"}.

export const ERRORS = {
  invalid_request: { status: 400, message: 'The request is not valid.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  invalid_sha256: { status: 400, message: 'The sha256 must be 64 hexadecimal digits.' },
  unsupported_content_type: { status: 400, message: 'The Content-Type must be application/octet-stream.' },
  size_mismatch: { status: 400, message: "The body's length differs from the size in the manifest." },
  digest_mismatch: { status: 400, message: 'The bytes received do not hash to the sha256 in the path.' },
  unsupported_checksum_algorithm: { status: 400, message: 'Upload-Checksum names an algorithm this server does not take (sha1, sha256).' },
  unauthenticated: { status: 401, message: 'Authentication is required.' },
  invalid_token: { status: 401, message: 'The API token is unknown or revoked.' },
  forbidden: { status: 403, message: 'The token lacks the scope this operation needs.' },
  invalid_upload_token: { status: 403, message: "The X-Upload-Token is not this session's." },
  not_found: { status: 404, message: 'No such route.' },
  session_not_found: { status: 404, message: 'No such upload session.' },
  blob_not_in_session: { status: 404, message: "The session's manifest does not name this sha256." },
  manifest_not_found: { status: 404, message: 'No such manifest.' },
  blob_not_found: { status: 404, message: 'No such blob.' },
  upload_not_found: { status: 404, message: 'No such resumable upload (unknown, terminated, or dropped after a wrong digest).' },
  method_not_allowed: { status: 405, message: 'This method is not allowed on this route.' },
  request_timeout: { status: 408, message: 'The request body did not arrive in time.' },
  session_not_open: { status: 409, message: 'The upload session is completed or aborted.' },
  blobs_missing: { status: 409, message: 'Some blobs of the session have not been uploaded yet.' },
  offset_mismatch: { status: 409, message: "Upload-Offset is not the upload's offset; ask HEAD for it." },
  session_expired: { status: 410, message: 'The upload session has expired; create a new session to upload these files.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'The Content-Type must be application/json.' },
  unsupported_tus_version: { status: 412, message: 'Send Tus-Resumable: 1.0.0; this server speaks tus 1.0.0.' },
  upload_locked: { status: 423, message: 'Another request is writing this upload; retry shortly.' },
  range_not_satisfiable: { status: 416, message: 'The requested range is not satisfiable.' },
  headers_too_large: { status: 431, message: 'The request headers are too large.' },
  rate_limited: { status: 429, message: 'Too many requests; retry later.' },
  checksum_mismatch: { status: 460, message: "The PATCH's bytes do not match its Upload-Checksum; none were kept." },
  internal_error: { status: 500, message: 'An internal error occurred.' },
  storage_unavailable: { status: 503, message: 'The storage backend is unavailable; retry later.' },
  not_ready: { status: 503, message: 'The service is not ready.' },
  insufficient_storage: { status: 507, message: 'The storage backend is out of space.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** An error a client caused or must know about; `extra` fields go into the body beside error and message. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly extra: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options?: { extra?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown },
  ) {
    super(message ?? ERRORS[code].message, { cause: options?.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.extra = options?.extra;
    this.headers = options?.headers;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** The codes a route can answer with, for its OpenAPI responses. */
export function statusesOf(codes: readonly ErrorCode[]): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return byStatus;
}
