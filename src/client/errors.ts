// The two ways a PressCloud call fails: the server answered with an error, or no answer arrived.
import type { ErrorBody } from '../api/types.js';

/** A non-2xx answer, carrying the body's stable `error` code and its one-sentence message. */
export class PressCloudApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The blobs still missing, with 409 `blobs_missing`. */
  readonly missing: string[] | undefined;
  /** From `Retry-After`, when the server asked the client to wait (429, 503). */
  readonly retryAfterMs: number | undefined;

  constructor(init: { status: number; code: string; message: string; missing?: string[]; retryAfterMs?: number }) {
    super(init.message);
    this.name = 'PressCloudApiError';
    this.status = init.status;
    this.code = init.code;
    this.missing = init.missing;
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** The request never got an answer: refused, reset, timed out or stalled; `cause` holds the transport error. */
export class PressCloudNetworkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PressCloudNetworkError';
  }
}

export function isPressCloudApiError(err: unknown, code?: string): err is PressCloudApiError {
  return err instanceof PressCloudApiError && (code === undefined || err.code === code);
}

/** `Retry-After` is either delay-seconds or an HTTP date; anything else is ignored. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The flat `{error, message}` body of a non-2xx answer, or undefined when the body is something else. */
export function parseErrorBody(text: string): ErrorBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const { error, message, missing } = value as Record<string, unknown>;
    if (typeof error !== 'string' || typeof message !== 'string') return undefined;
    return {
      error,
      message,
      missing: Array.isArray(missing) ? missing.filter((m): m is string => typeof m === 'string') : undefined,
    };
  } catch {
    return undefined;
  }
}

/** A non-2xx answer as a PressCloudApiError: the API's own code and message, or its status for a body that is not the API's. */
export function apiErrorOf(status: number, text: string, retryAfter: string | undefined): PressCloudApiError {
  const parsed = parseErrorBody(text);
  return new PressCloudApiError({
    status,
    code: parsed?.error ?? `http_${status}`,
    message: parsed?.message ?? `The server answered ${status}${text ? `: ${text.slice(0, 200)}` : '.'}`,
    missing: parsed?.missing,
    retryAfterMs: parseRetryAfter(retryAfter),
  });
}

/** OpenSSL's codes for a TLS handshake answered by something that is not TLS (an https:// URL on a plain-http port). */
const NOT_TLS_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);

/** True when the request failed because the server does not speak TLS: retrying cannot change that. */
export function isTlsMismatch(err: unknown): boolean {
  for (let cause = err; cause instanceof Error; cause = cause.cause) {
    if (NOT_TLS_CODES.has((cause as { code?: string }).code ?? '')) return true;
  }
  return false;
}
