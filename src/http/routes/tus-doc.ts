// What /openapi.json says of the tus routes beyond their schemas: the tus request headers, the raw
// offset+octet-stream bodies, and the headers every answer carries.
import { Type } from 'typebox';
import { TUS_CHECKSUM_ALGORITHMS, TUS_EXTENSIONS, TUS_VERSION } from '../../domain/tus-headers.js';
import type { OpenApiHeader, RouteDoc } from '../openapi/route-doc.js';

export const TusRequestHeaders = Type.Object({
  'x-upload-token': Type.String({ description: "The session's upload token (tus clients send it as a custom header)" }),
  'tus-resumable': Type.Optional(Type.String({ description: `Required: ${TUS_VERSION} (else 412)`, examples: [TUS_VERSION] })),
  'upload-length': Type.Optional(Type.String({ description: "Creation: the blob's size in bytes", examples: ['209715200'] })),
  'upload-metadata': Type.Optional(
    Type.String({
      description: "Creation: `sha256 <base64 of the blob's hex sha256>`; `filename` and other keys are ignored",
      examples: ['sha256 NGE1ZTliMGNmZGI1ZTQ2NGNjYWE5YjdmNmM5ZmUzNGM5MjBjMzI5N2UyMDY3MjE1MTJmYTk3NTM2OGU1MjU2Mw=='],
    }),
  ),
  'upload-offset': Type.Optional(Type.String({ description: "PATCH: the upload's current offset (else 409)", examples: ['0'] })),
  'upload-checksum': Type.Optional(
    Type.String({
      description: "PATCH: `sha1|sha256 <base64 digest>` of this PATCH's bytes (mismatch: 460)",
      examples: ['sha256 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='],
    }),
  ),
});

const header = (description: string, schema: Record<string, unknown>, required = true): OpenApiHeader => ({
  description,
  required,
  schema,
});
const TUS_RESUMABLE = { 'Tus-Resumable': header('The protocol version, on every answer', { type: 'string', const: TUS_VERSION }) };
const OFFSET = {
  'Upload-Offset': header('Bytes the server holds durably', { type: 'integer', minimum: 0 }),
  'Upload-Length': header("The blob's size", { type: 'integer', minimum: 0 }),
  'Upload-Expires': header('When the upload ends with its session (RFC 7231 date)', {
    type: 'string',
    examples: ['Sat, 05 Dec 2026 10:00:00 GMT'],
  }),
};
const RAW_BYTES = {
  description: "The upload's next bytes, from Upload-Offset on",
  required: false,
  content: { 'application/offset+octet-stream': { example: 'body{margin:0}\n' } },
};

export function discoveryDoc(maxBlobSize: number): RouteDoc {
  return {
    responses: {
      204: {
        headers: {
          ...TUS_RESUMABLE,
          'Tus-Version': header('Versions spoken', { type: 'string', const: TUS_VERSION }),
          'Tus-Max-Size': header('The largest blob taken', { type: 'integer', examples: [maxBlobSize] }),
          'Tus-Extension': header('Extensions', { type: 'string', const: TUS_EXTENSIONS }),
          'Tus-Checksum-Algorithm': header('For Upload-Checksum', { type: 'string', const: TUS_CHECKSUM_ALGORITHMS.join(',') }),
        },
      },
    },
  };
}

export function creationDoc(): RouteDoc {
  return {
    requestBody: { ...RAW_BYTES, description: 'creation-with-upload: the first bytes, taken as a PATCH at offset 0' },
    responses: {
      201: {
        headers: {
          ...TUS_RESUMABLE,
          ...OFFSET,
          Location: header('The upload: /v1/upload-sessions/{uploadSessionId}/uploads/{uploadId}', { type: 'string' }),
        },
      },
      412: { headers: { 'Tus-Version': header('The version to send', { type: 'string', const: TUS_VERSION }) } },
    },
  };
}

export function headDoc(): RouteDoc {
  return {
    responses: {
      200: {
        content: {},
        headers: { ...TUS_RESUMABLE, ...OFFSET, 'Cache-Control': header('Never cached', { type: 'string', const: 'no-store' }) },
      },
    },
  };
}

export function patchDoc(): RouteDoc {
  return { requestBody: { ...RAW_BYTES, required: true }, responses: { 204: { headers: { ...TUS_RESUMABLE, ...OFFSET } } } };
}

export function terminationDoc(): RouteDoc {
  return { responses: { 204: { headers: TUS_RESUMABLE } } };
}
