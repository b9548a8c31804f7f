// TypeBox schemas of the API's bodies: they validate requests, shape responses and feed /openapi.json.
// Request bodies are closed (a misspelt field such as "expiresInSecond" is a 400, never silently ignored);
// responses are open: a client must ignore fields it does not know, so fields can be added later.
import { Type, type TSchema } from 'typebox';
import { ERRORS, type ErrorCode } from '../domain/errors.js';
import { statusOf, statusesOf } from './error-status.js';
import { MAX_MIME_LENGTH, MAX_PATH_BYTES, MAX_SYMLINK_TARGET_BYTES, MIME_SHAPE } from '../domain/manifest.js';
import { MAX_LABEL_LENGTH } from '../domain/manifest-label.js';
import { DEFAULT_EXPIRES_IN_SECONDS, MAX_EXPIRES_IN_SECONDS } from '../domain/upload-service.js';
import { EXAMPLES, MANIFEST_ID, STYLE_SHA256, UPLOAD_SESSION_ID } from './examples.js';

/** Any case is accepted on the way in (API.md); answers are always lowercase. */
export const SHA256_PATTERN = '^[0-9a-fA-F]{64}$';
const LOWERCASE_SHA256_PATTERN = '^[0-9a-f]{64}$';
const LABEL_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f]*$';

/** How a failed `pattern` reads in an error message (see validation-messages.ts). */
export const PATTERN_PHRASES: Readonly<Record<string, string>> = {
  [SHA256_PATTERN]: 'must be 64 hexadecimal digits',
  [LOWERCASE_SHA256_PATTERN]: 'must be 64 lowercase hexadecimal digits',
  [MIME_SHAPE.source]: 'must be a media type such as "text/html"',
  [LABEL_PATTERN]: 'must have no control characters',
};

export const Sha256Param = Type.String({
  pattern: SHA256_PATTERN,
  description: 'SHA-256 of the blob, 64 hexadecimal digits (any case)',
  examples: [STYLE_SHA256],
});
export const UploadSessionIdParam = Type.String({
  description: 'The id returned when the session was created',
  examples: [UPLOAD_SESSION_ID],
});
export const ManifestIdParam = Type.String({
  pattern: LOWERCASE_SHA256_PATTERN,
  description: 'The manifest id returned when a session was completed: 64 lowercase hexadecimal digits',
  examples: [MANIFEST_ID],
});

const Sha256 = Type.String({ pattern: LOWERCASE_SHA256_PATTERN, description: 'SHA-256, 64 lowercase hexadecimal digits' });
const UploadSessionId = Type.String({ pattern: '^us_[A-Za-z0-9_-]+$', description: "The upload session's id" });
const ManifestId = Type.String({
  pattern: LOWERCASE_SHA256_PATTERN,
  description: 'SHA-256 of the canonical file list: the same files always give the same id',
});
const Mime = Type.String({ maxLength: MAX_MIME_LENGTH, description: 'A media type such as "text/html"' });
/** A declared mime, as the server checks it: a media type (type/subtype, optional parameters). */
const DeclaredMime = Type.String({
  maxLength: MAX_MIME_LENGTH,
  pattern: MIME_SHAPE.source,
  description: 'A media type such as "text/html" or "text/plain; charset=utf-8"',
});

const Label = Type.String({
  minLength: 1,
  maxLength: MAX_LABEL_LENGTH,
  pattern: LABEL_PATTERN,
  description: "A name for people, shown in lists (push gives the folder's name); not part of the manifest id",
  examples: ['site'],
});

/** The limits this server was started with: the document states them, the validator enforces them. */
export interface BodyLimits {
  readonly maxManifestFiles: number;
  readonly maxBlobSize: number;
}

export function createSessionBody(limits: BodyLimits) {
  const entry = Type.Object(
    {
      path: Type.String({
        minLength: 1,
        maxLength: MAX_PATH_BYTES,
        description:
          `Relative POSIX path, 1–${MAX_PATH_BYTES} bytes of UTF-8, unique in the session; ` +
          'no leading "/", no "\\", no empty, "." or ".." segment, no control characters',
      }),
      sha256: Type.String({
        pattern: SHA256_PATTERN,
        description: '64 hexadecimal digits, any case (stored lowercase); one sha256 may back many paths, always with the same size',
      }),
      size: Type.Integer({
        minimum: 0,
        maximum: limits.maxBlobSize,
        description: 'Bytes; at most the maximum blob size (--max-blob-size)',
      }),
      mime: Type.Optional(DeclaredMime),
      mode: Type.Optional(
        Type.Union([Type.Literal('100644'), Type.Literal('100755'), Type.Literal('120000')], {
          description:
            'As git records it: "100644" a plain file (the default; may be omitted, and is not stored), "100755" an executable file, ' +
            `"120000" a symlink whose blob is its target as written (1–${MAX_SYMLINK_TARGET_BYTES} bytes); no entry may lie under a symlink. ` +
            'Any mode other than "100644" changes the canonical form of the manifest id (see the API guide)',
        }),
      ),
    },
    { additionalProperties: false },
  );
  return Type.Object(
    {
      files: Type.Array(entry, {
        minItems: 1,
        maxItems: limits.maxManifestFiles,
        description: 'The files of the manifest (at most --max-manifest-files)',
      }),
      expiresInSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EXPIRES_IN_SECONDS, default: DEFAULT_EXPIRES_IN_SECONDS })),
      label: Type.Optional(Label),
    },
    { additionalProperties: false, examples: [EXAMPLES.createSessionBody] },
  );
}

const SessionCounts = {
  expiresAt: Type.String({ format: 'date-time' }),
  fileCount: Type.Integer({ minimum: 1 }),
  blobCount: Type.Integer({ minimum: 1, description: 'Distinct sha256s' }),
  totalBytes: Type.Integer({ minimum: 0, description: "Sum of the distinct blobs' sizes" }),
  missing: Type.Array(Sha256, { description: 'Distinct sha256s this tenant does not hold yet, each once, in manifest order' }),
};

export const CreatedSessionSchema = Type.Object(
  {
    uploadSessionId: UploadSessionId,
    uploadToken: Type.String({ description: 'Send back as X-Upload-Token; shown only once' }),
    state: Type.Literal('open'),
    ...SessionCounts,
  },
  { description: 'The session is open: PUT the missing blobs, then complete it.', examples: [EXAMPLES.createdSession] },
);

export const SessionStatusSchema = Type.Object(
  {
    uploadSessionId: UploadSessionId,
    state: Type.Union([Type.Literal('open'), Type.Literal('completed'), Type.Literal('aborted'), Type.Literal('expired')]),
    ...SessionCounts,
    manifestId: Type.Optional(ManifestId),
  },
  { description: "The session's state and what it still misses.", examples: [EXAMPLES.sessionStatus] },
);

export const PutBlobResponse = Type.Object(
  {
    uploadSessionId: UploadSessionId,
    alreadyPresent: Type.Boolean({ description: 'True when this tenant held the blob before this request' }),
    blob: Type.Object({
      sha256: Sha256,
      size: Type.Integer({ minimum: 0 }),
      mime: Type.Optional(Mime),
      r2Key: Type.String({ description: "The blob's key in the blob store, derived from the sha256 alone" }),
    }),
  },
  { description: 'The blob is durable and verified (or this tenant already held it).', examples: [EXAMPLES.putBlob] },
);

const ManifestSummaryFields = {
  manifestId: ManifestId,
  fileCount: Type.Integer({ minimum: 1 }),
  totalBytes: Type.Integer({ minimum: 0, description: 'Sum of the sizes of the files' }),
  createdAt: Type.String({ format: 'date-time' }),
  label: Type.Optional(Label),
  previewUrl: Type.String({
    format: 'uri',
    description: "The manifest's site: its preview host, {manifestId[0:32]}.{siteDomain}, on the port the client used",
  }),
};

export const CompletedSessionSchema = Type.Object(
  { uploadSessionId: UploadSessionId, state: Type.Literal('completed'), manifest: Type.Object(ManifestSummaryFields) },
  { description: 'The session is frozen into an immutable manifest.', examples: [EXAMPLES.completedSession] },
);

export const ManifestSchema = Type.Object(
  {
    ...ManifestSummaryFields,
    files: Type.Array(
      Type.Object({
        path: Type.String({ minLength: 1, maxLength: MAX_PATH_BYTES }),
        sha256: Sha256,
        size: Type.Integer({ minimum: 0 }),
        mime: Type.Optional(Mime),
        mode: Type.Optional(
          Type.Union([Type.Literal('100755'), Type.Literal('120000')], {
            description: '"100755" an executable file, "120000" a symlink (the blob is its target); absent for a plain file',
          }),
        ),
      }),
    ),
  },
  { description: 'The manifest with its files.', examples: [EXAMPLES.manifest] },
);

export const ManifestListSchema = Type.Object(
  {
    manifests: Type.Array(Type.Object(ManifestSummaryFields), { description: 'Newest first' }),
    nextCursor: Type.Optional(Type.String({ description: 'Present when more manifests follow: send it back as cursor' })),
  },
  { description: "A page of the tenant's manifests.", examples: [EXAMPLES.manifestList] },
);

/** The per-part codes of the batch POST: what a PUT of that part alone would have answered. */
const BATCH_PART_ERRORS = [
  'invalid_sha256',
  'blob_not_in_session',
  'size_mismatch',
  'digest_mismatch',
  'storage_unavailable',
  'insufficient_storage',
] as const;

export const PutBlobsResponse = Type.Object(
  {
    uploadSessionId: UploadSessionId,
    results: Type.Array(
      Type.Union([
        Type.Object({
          sha256: Sha256,
          status: Type.Literal(200),
          alreadyPresent: Type.Boolean({ description: 'True when this tenant held the blob before this part (a retry, an earlier part)' }),
          blob: PutBlobResponse.properties.blob,
        }),
        Type.Object({
          sha256: Type.String({ description: 'Lowercase, or as sent when it is not 64 hexadecimal digits' }),
          status: Type.Union([...new Set(BATCH_PART_ERRORS.map(statusOf))].map((status) => Type.Literal(status))),
          error: Type.Union(BATCH_PART_ERRORS.map((code) => Type.Literal(code))),
          message: Type.String(),
        }),
      ]),
      { description: 'One result per part, in the order the parts came' },
    ),
  },
  { description: 'Every stored part is durable; a failed part stored nothing.', examples: [EXAMPLES.putBlobs] },
);

export const UploadTokenHeaders = Type.Object({
  'x-upload-token': Type.String({ description: "The session's upload token, returned when it was created" }),
});

/** Codes every route can answer, whatever it does. */
export const COMMON_ERRORS: readonly ErrorCode[] = ['internal_error', 'rate_limited', 'storage_unavailable'];
export const AUTH_ERRORS: readonly ErrorCode[] = ['unauthenticated', 'invalid_token', 'forbidden'];
export const JSON_BODY_ERRORS: readonly ErrorCode[] = ['invalid_json', 'invalid_request', 'payload_too_large', 'unsupported_media_type'];

/** The OpenAPI responses of a route: its success schemas plus one error schema per status, listing its codes. */
export function withErrors(
  success: Record<number, TSchema>,
  codes: readonly ErrorCode[],
  /** What a code means on this route, where the table's general message would mislead. */
  messages: Partial<Record<ErrorCode, string>> = {},
): Record<number, TSchema> {
  const responses: Record<number, TSchema> = { ...success };
  for (const [status, statusCodes] of statusesOf([...new Set([...codes, ...COMMON_ERRORS])])) {
    responses[status] = errorSchema(statusCodes, messages);
  }
  return responses;
}

function errorSchema(codes: ErrorCode[], messages: Partial<Record<ErrorCode, string>>): TSchema {
  const messageOf = (code: ErrorCode) => messages[code] ?? ERRORS[code].message;
  const properties: Record<string, TSchema> = {
    error: Type.Unsafe<ErrorCode>({ type: 'string', enum: codes }),
    message: Type.String({ description: 'One clear sentence for a person' }),
  };
  if (codes.includes('blobs_missing'))
    properties.missing = Type.Optional(Type.Array(Sha256, { description: 'With blobs_missing: the sha256s still missing' }));
  if (codes.includes('manifest_in_use'))
    properties.aliases = Type.Optional(Type.Array(Type.String(), { description: 'With manifest_in_use: the aliases pointing at it' }));
  const description = codes.map((code) => `${code}: ${messageOf(code)}`).join(' ');
  return Type.Object(properties, { description, examples: [{ error: codes[0], message: messageOf(codes[0]) }] });
}
