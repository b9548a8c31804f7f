// TypeBox schemas of the API's bodies: they validate requests, shape responses and feed /openapi.json.
import { Type, type TSchema } from 'typebox';
import { ERRORS, statusesOf, type ErrorCode } from '../domain/errors.js';
import { MAX_EXPIRES_IN_SECONDS } from '../domain/upload-service.js';

export const Sha256Param = Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'SHA-256 of the blob, 64 hexadecimal digits' });

export const FileEntrySchema = Type.Object({
  path: Type.String({ minLength: 1, description: 'Relative POSIX path, 1–1024 bytes of UTF-8; no leading "/", no "\\\\", no empty, "." or ".." segment, no control characters' }),
  sha256: Type.String({ pattern: '^[0-9a-fA-F]{64}$' }),
  size: Type.Integer({ minimum: 0 }),
  mime: Type.Optional(Type.String({ maxLength: 255 })),
});

export const CreateSessionBody = Type.Object({
  files: Type.Array(FileEntrySchema, { minItems: 1 }),
  expiresInSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EXPIRES_IN_SECONDS, default: 3600 })),
});

const SessionCounts = {
  expiresAt: Type.String({ format: 'date-time' }),
  fileCount: Type.Integer(),
  blobCount: Type.Integer({ description: 'Distinct sha256s' }),
  totalBytes: Type.Integer({ description: 'Sum of the distinct blobs\' sizes' }),
  missing: Type.Array(Type.String(), { description: 'Distinct sha256s this tenant does not hold yet, in manifest order' }),
};

export const CreatedSessionSchema = Type.Object({
  uploadSessionId: Type.String(),
  uploadToken: Type.String({ description: 'Send back as X-Upload-Token; shown only once' }),
  state: Type.Literal('open'),
  ...SessionCounts,
});

export const SessionStatusSchema = Type.Object({
  uploadSessionId: Type.String(),
  state: Type.Union([Type.Literal('open'), Type.Literal('completed'), Type.Literal('aborted'), Type.Literal('expired')]),
  ...SessionCounts,
  manifestId: Type.Optional(Type.String()),
});

export const PutBlobResponse = Type.Object({
  uploadSessionId: Type.String(),
  alreadyPresent: Type.Boolean({ description: 'True when this tenant held the blob before this request' }),
  blob: Type.Object({
    sha256: Type.String(),
    size: Type.Integer(),
    mime: Type.Optional(Type.String()),
    r2Key: Type.String({ description: 'The blob\'s key in the blob store, derived from the sha256 alone' }),
  }),
});

export const ManifestSummary = Type.Object({
  manifestId: Type.String(),
  fileCount: Type.Integer(),
  totalBytes: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const CompletedSessionSchema = Type.Object({
  uploadSessionId: Type.String(),
  state: Type.Literal('completed'),
  manifest: ManifestSummary,
});

export const ManifestSchema = Type.Object({
  manifestId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  fileCount: Type.Integer(),
  totalBytes: Type.Integer(),
  files: Type.Array(Type.Object({ path: Type.String(), sha256: Type.String(), size: Type.Integer(), mime: Type.Optional(Type.String()) })),
});

export const UploadTokenHeaders = Type.Object({
  'x-upload-token': Type.String({ description: 'The session\'s upload token, returned when it was created' }),
});

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request payload or parameters.',
  401: 'Authentication material for the operation is missing.',
  403: 'The caller is not permitted to perform the operation.',
  404: 'Requested resource was not found.',
  405: 'The method is not allowed on this route.',
  408: 'The request body did not arrive in time.',
  409: 'Requested operation conflicts with the current resource state.',
  410: 'The requested resource is no longer available.',
  413: 'The request body is too large.',
  415: 'The request body has an unsupported media type.',
  416: 'The requested range is not satisfiable.',
  429: 'Too many requests.',
  431: 'The request headers are too large.',
  500: 'An internal error occurred.',
  503: 'A backend is unavailable; retry later.',
  507: 'The blob store is out of space.',
};

/** Codes every route can answer, whatever it does. */
export const COMMON_ERRORS: readonly ErrorCode[] = ['internal_error', 'rate_limited', 'storage_unavailable'];
export const AUTH_ERRORS: readonly ErrorCode[] = ['unauthenticated', 'invalid_token', 'forbidden'];
export const JSON_BODY_ERRORS: readonly ErrorCode[] = ['invalid_json', 'invalid_request', 'payload_too_large', 'unsupported_media_type'];

/** The OpenAPI responses of a route: its success schemas plus one error schema per status, listing its codes. */
export function withErrors(success: Record<number, TSchema>, codes: readonly ErrorCode[]): Record<number, TSchema> {
  const responses: Record<number, TSchema> = { ...success };
  for (const [status, statusCodes] of statusesOf([...new Set([...codes, ...COMMON_ERRORS])])) {
    responses[status] = errorSchema(statusCodes, status);
  }
  return responses;
}

function errorSchema(codes: ErrorCode[], status: number): TSchema {
  const properties: Record<string, TSchema> = {
    error: Type.Union(codes.map((code) => Type.Literal(code)), { description: codes.map((c) => `${c}: ${ERRORS[c].message}`).join(' ') }),
    message: Type.String({ description: 'One clear sentence for a person' }),
  };
  if (codes.includes('blobs_missing')) properties.missing = Type.Optional(Type.Array(Type.String(), { description: 'With blobs_missing: the sha256s still missing' }));
  return Type.Object(properties, { description: STATUS_TEXT[status] ?? 'Error' });
}
