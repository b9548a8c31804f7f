// The options of @fastify/swagger that make /openapi.json describe the wire: the document's frame, a per-route
// transform (security from the route's auth config, its RouteDoc) and a final pass over every operation
// (the headers every answer carries, the default Error response). Routes added later inherit all of it.
import { readFileSync } from 'node:fs';
import type { SwaggerOptions } from '@fastify/swagger';
import type { FastifySchema, RouteOptions } from 'fastify';
import { ERRORS, type ErrorCode } from '../../domain/errors.js';
import { statusOf } from '../error-status.js';
import { RETRY_UNAVAILABLE_AFTER_SECONDS } from '../error-handler.js';
import { EXAMPLES } from '../examples.js';
import type { OpenApiHeader, OpenApiResponse, RouteDoc } from './route-doc.js';

/** src/http/openapi/ and dist/http/openapi/ both sit three levels below the package's root. */
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

/** Carries a route's RouteDoc from the per-route transform to the final pass (swagger copies x- keys over). */
const ROUTE_DOC_KEY = 'x-presscloud-route-doc';
const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'head', 'patch', 'options'] as const;

const COMMON_HEADERS: Record<string, OpenApiHeader> = {
  'X-Request-Id': {
    description:
      "The request's id, in every log line about it: the client's own X-Request-Id when it is 1 to 128 visible ASCII characters, " +
      'else one made up',
    required: true,
    schema: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' },
  },
  'WWW-Authenticate': {
    description: 'Bearer realm="presscloud", with error="invalid_token" when the API token is unknown or revoked (RFC 6750)',
    required: true,
    schema: { type: 'string', examples: ['Bearer realm="presscloud", error="invalid_token"'] },
  },
  'Retry-After': {
    description: `Seconds to wait before trying again (${RETRY_UNAVAILABLE_AFTER_SECONDS} on a 503; on a 429, until the budget refills)`,
    required: true,
    schema: { type: 'integer', minimum: 1 },
  },
};

const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

export function openApiOptions(): SwaggerOptions {
  return {
    // Fastify answers HEAD on every GET route; the document lists the HEAD operations that mean something
    // on their own (a route opts in with config.swagger.exposeHeadRoute).
    exposeHeadRoutes: false,
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'PressCloud upload API',
        version: PACKAGE_VERSION,
        license: { name: 'MIT', identifier: 'MIT' },
        description: [
          'Content-addressed uploads of directories: create a session from a manifest, PUT the missing blobs,',
          'complete it into an immutable manifest. Every non-2xx answer is `{"error", "message"}` (the Error schema).',
          'Request bodies are closed: an unknown field is a 400, so a misspelt one is never silently ignored.',
          'Answers are open: clients must ignore fields they do not know. Every GET route also answers HEAD.',
          'Limits in this document (files per session, blob size) are the ones this server was started with.',
        ].join(' '),
      },
      servers: [{ url: '/', description: 'This server' }],
      tags: [
        { name: 'sessions', description: 'Upload sessions: create, status, complete, abort' },
        { name: 'blobs', description: 'Blob bytes: the upload PUT and downloads' },
        { name: 'manifests', description: 'Completed, immutable manifests' },
        { name: 'aliases', description: 'Names pointing at manifests, each served as a site at {name}.{siteDomain}' },
        { name: 'resumable uploads', description: 'tus 1.0.0 on a session: big blobs that resume after a broken connection' },
        { name: 'operations', description: 'Health, readiness and metrics' },
        { name: 'access', description: 'What a token may do, checked before any work' },
      ],
      components: {
        schemas: { Error: errorComponentSchema() },
        headers: COMMON_HEADERS,
        responses: {
          Error: {
            description: 'Any other failure, in the same shape as every error',
            headers: { 'X-Request-Id': headerRef('X-Request-Id') },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: EXAMPLES.error } },
          },
        },
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API token (pct_…) with the upload, read or publish scope' },
          uploadToken: { type: 'apiKey', in: 'header', name: 'X-Upload-Token', description: "The upload session's token (pcu_…)" },
        },
      },
    },
    transform: ({ schema, url, route }) => ({ schema: describeRoute(schema, route), url }),
    transformObject: (documentObject) => {
      const document = (documentObject as { openapiObject: OpenApiDocument }).openapiObject;
      for (const item of Object.values(document.paths ?? {})) {
        for (const method of OPERATION_METHODS) if (item[method]) finishOperation(item[method]);
      }
      return document as Record<string, unknown>;
    },
  };
}

/** The per-route part: what the route's config says about security, and its RouteDoc handed to the final pass. */
function describeRoute(schema: FastifySchema | undefined, route: RouteOptions): FastifySchema {
  if (!schema || schema.hide) return schema ?? { hide: true };
  const auth = route.config?.auth;
  const described: FastifySchema & Record<string, unknown> = { ...schema };
  described.security = auth?.scope ? [auth.uploadToken ? { bearer: [], uploadToken: [] } : { bearer: [] }] : [];
  if (auth?.scope) {
    const needs = `Needs an API token with the \`${auth.scope}\` scope${auth.uploadToken ? " and the session's X-Upload-Token" : ''}.`;
    described.description = schema.description ? `${schema.description} ${needs}` : needs;
  }
  // @fastify/swagger names an explicit HEAD route's operation "<operationId>-head".
  if (route.method === 'HEAD' && schema.operationId)
    described.operationId = schema.operationId.replace(/-head$/, '').replace(/^get(?=[A-Z])/, 'head');
  const doc: RouteDoc | undefined = route.config?.openapi;
  if (doc) described[ROUTE_DOC_KEY] = doc;
  return described;
}

interface OpenApiOperation {
  responses: Record<string, MutableResponse>;
  requestBody?: unknown;
  [ROUTE_DOC_KEY]?: RouteDoc;
}

interface MutableResponse {
  description?: string;
  headers?: Record<string, unknown>;
  content?: unknown;
  $ref?: string;
}

interface OpenApiDocument {
  paths?: Record<string, Partial<Record<(typeof OPERATION_METHODS)[number], OpenApiOperation>>>;
}

function finishOperation(operation: OpenApiOperation): void {
  const doc = operation[ROUTE_DOC_KEY];
  delete operation[ROUTE_DOC_KEY];
  if (doc?.requestBody) operation.requestBody = doc.requestBody;
  for (const [status, extra] of Object.entries(doc?.responses ?? {})) {
    operation.responses[status] = mergeResponse(operation.responses[status], extra);
  }
  for (const [status, response] of Object.entries(operation.responses)) {
    response.headers = { ...response.headers, ...commonHeaders(status) };
  }
  operation.responses.default = { $ref: '#/components/responses/Error' };
}

function mergeResponse(generated: MutableResponse | undefined, extra: OpenApiResponse): MutableResponse {
  const merged: MutableResponse = { ...generated, description: extra.description ?? generated?.description ?? '' };
  merged.headers = { ...generated?.headers, ...extra.headers };
  if (extra.content && Object.keys(extra.content).length > 0) merged.content = extra.content;
  else if (extra.content) delete merged.content;
  return merged;
}

/** The headers HTTP and API.md put on every answer of a status. */
function commonHeaders(status: string): Record<string, unknown> {
  const headers: Record<string, unknown> = { 'X-Request-Id': headerRef('X-Request-Id') };
  if (status === '401') headers['WWW-Authenticate'] = headerRef('WWW-Authenticate');
  if (status === '429' || status === '503') headers['Retry-After'] = headerRef('Retry-After');
  return headers;
}

/** Every code of the table, with its status: the shape of every non-2xx answer, on any route. */
function errorComponentSchema() {
  return {
    type: 'object' as const,
    required: ['error', 'message'],
    description: 'Every non-2xx answer, on every route (unknown routes and wrong methods included).',
    properties: {
      error: {
        type: 'string' as const,
        enum: Object.keys(ERRORS),
        description: Object.entries(ERRORS)
          .map(([code]) => `${code} (${statusOf(code as ErrorCode)})`)
          .join(', '),
      },
      message: { type: 'string' as const, description: 'One clear sentence for a person' },
    },
    examples: [EXAMPLES.error],
  };
}
