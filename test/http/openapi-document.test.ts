// /openapi.json describes what is on the wire (API.md "HTTP conventions"): request and binary bodies with
// their media types, the headers of answers, the limits of this server, examples, and one error shape.
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.js';

interface Media {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, unknown>;
}
interface Response {
  description?: string;
  $ref?: string;
  headers?: Record<string, { $ref?: string; required?: boolean }>;
  content?: Record<string, Media>;
}
interface Operation {
  operationId: string;
  security?: unknown[];
  parameters?: Array<{ name: string; in: string; example?: unknown; required?: boolean }>;
  requestBody?: { required?: boolean; content: Record<string, Media> };
  responses: Record<string, Response>;
}
interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: unknown;
  [keyword: string]: unknown;
}
interface Document {
  info: { version: string; description: string };
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, Response>; headers: Record<string, unknown> };
}

let server: TestServer;
let doc: Document;

beforeAll(async () => {
  server = await startServer({ config: { maxManifestFiles: 321, maxBlobSize: 12_345 } });
  doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as Document;
});
afterAll(async () => server.stop());

const operations = (): Array<[string, Operation]> =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]): [string, Operation] => [`${method.toUpperCase()} ${path}`, operation]),
  );
const op = (method: string, path: string): Operation => doc.paths[path][method];
const json = (response: Response): Schema => response.content?.['application/json']?.schema ?? {};

const PUT = '/v1/upload-sessions/{uploadSessionId}/blobs/{sha256}';
const BLOB = '/v1/blobs/{sha256}';

describe('/openapi.json', () => {
  it("declares the PUT's body: required raw bytes, application/octet-stream", () => {
    const body = op('put', PUT).requestBody;
    expect(body?.required).toBe(true);
    expect(Object.keys(body?.content ?? {})).toEqual(['application/octet-stream']);
  });

  it('declares blob bytes as any media type on GET and as no body on HEAD, never as JSON', () => {
    for (const status of ['200', '206']) {
      expect(Object.keys(op('get', BLOB).responses[status].content ?? {})).toEqual(['*/*']);
      expect(op('head', BLOB).responses[status].content).toBeUndefined();
    }
    expect(op('get', BLOB).responses['304'].content).toBeUndefined();
  });

  it('declares the headers of blob answers, and the conditional and range request headers', () => {
    for (const method of ['get', 'head']) {
      const { responses, parameters } = op(method, BLOB);
      for (const status of ['200', '206', '304'])
        expect(Object.keys(responses[status].headers ?? {})).toEqual(
          expect.arrayContaining(['ETag', 'Cache-Control', 'Accept-Ranges', 'X-Content-Type-Options', 'Content-Security-Policy']),
        );
      expect(Object.keys(responses['206'].headers ?? {})).toContain('Content-Range');
      expect(Object.keys(responses['416'].headers ?? {})).toContain('Content-Range');
      expect(
        parameters
          ?.filter((p) => p.in === 'header')
          .map((p) => p.name)
          .sort(),
      ).toEqual(['if-none-match', 'if-range', 'range']);
    }
  });

  it('declares X-Request-Id on every answer, WWW-Authenticate on every 401, Retry-After on every 429 and 503', () => {
    for (const [name, operation] of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (status === 'default') continue;
        const headers = Object.keys(response.headers ?? {});
        expect(headers, `${name} ${status}`).toContain('X-Request-Id');
        if (status === '401') expect(headers, `${name} ${status}`).toContain('WWW-Authenticate');
        if (status === '429' || status === '503') expect(headers, `${name} ${status}`).toContain('Retry-After');
      }
    }
    expect(Object.keys(doc.components.headers).sort()).toEqual(['Retry-After', 'WWW-Authenticate', 'X-Request-Id']);
  });

  it('names every operation with a unique identifier a code generator can use (headBlob, not headBlob-head)', () => {
    const ids = operations().map(([, operation]) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z]*$/);
    expect(op('head', BLOB).operationId).toBe('headBlob');
  });

  it("states this server's limits and the shape of every id", () => {
    const files = (op('post', '/v1/upload-sessions').requestBody?.content['application/json'].schema?.properties?.files ?? {}) as Schema;
    expect([files.minItems, files.maxItems]).toEqual([1, 321]);
    expect(files.items?.properties?.size).toMatchObject({ type: 'integer', minimum: 0, maximum: 12_345 });
    expect(files.items?.properties?.path).toMatchObject({ minLength: 1, maxLength: 1024 });
    expect(files.items?.properties?.sha256?.pattern).toBe('^[0-9a-fA-F]{64}$');

    const hex = '^[0-9a-f]{64}$';
    expect(json(op('post', '/v1/upload-sessions').responses['201']).properties?.missing?.items?.pattern).toBe(hex);
    const status = json(op('get', '/v1/upload-sessions/{uploadSessionId}').responses['200']).properties;
    expect([status?.missing?.items?.pattern, status?.manifestId?.pattern]).toEqual([hex, hex]);
    expect(json(op('put', PUT).responses['200']).properties?.blob?.properties?.sha256?.pattern).toBe(hex);
    expect(
      json(op('post', '/v1/upload-sessions/{uploadSessionId}/complete').responses['200']).properties?.manifest?.properties?.manifestId
        ?.pattern,
    ).toBe(hex);
    const manifest = json(op('get', '/v1/manifests/{manifestId}').responses['200']).properties;
    expect([manifest?.manifestId?.pattern, manifest?.files?.items?.properties?.sha256?.pattern]).toEqual([hex, hex]);
    expect(json(op('post', '/v1/upload-sessions/{uploadSessionId}/complete').responses['409']).properties?.missing?.items?.pattern).toBe(
      hex,
    );
  });

  it('closes every JSON request body to unknown fields, and says so', () => {
    const bodies = operations().flatMap(([name, operation]) =>
      operation.requestBody?.content['application/json'] ? [[name, operation.requestBody.content['application/json'].schema] as const] : [],
    );
    expect(bodies.length).toBeGreaterThan(0);
    for (const [name, schema] of bodies)
      for (const object of objectsIn(schema ?? {})) expect(object.additionalProperties, name).toBe(false);
    expect(doc.info.description).toMatch(/unknown field is a 400/);
  });

  it('gives an example for every operation', () => {
    const withoutExample = operations()
      .filter(([, operation]) => {
        const media = [
          ...Object.values(operation.requestBody?.content ?? {}),
          ...Object.values(operation.responses).flatMap((r) => Object.values(r.content ?? {})),
        ];
        return (
          !media.some((m) => m.example !== undefined || m.examples !== undefined) &&
          !operation.parameters?.some((p) => p.example !== undefined)
        );
      })
      .map(([name]) => name);
    expect(withoutExample).toEqual([]);
  });

  it('describes every answer in words, and answers any other failure with the shared Error', () => {
    for (const [name, operation] of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (status === 'default') continue;
        expect(response.description, `${name} ${status}`).toMatch(/\w{3}/);
        expect(response.description, `${name} ${status}`).not.toBe('Default Response');
      }
      expect(operation.responses.default, name).toEqual({ $ref: '#/components/responses/Error' });
    }
    expect(json(doc.components.responses.Error)).toEqual({ $ref: '#/components/schemas/Error' });
  });

  it('declares /metrics as Prometheus text and its errors as JSON', () => {
    const { responses } = op('get', '/metrics');
    expect(Object.keys(responses['200'].content ?? {})).toEqual(['text/plain']);
    for (const [status, response] of Object.entries(responses))
      if (status !== '200' && status !== 'default') expect(Object.keys(response.content ?? {})).toEqual(['application/json']);
  });

  it('declares the security of every operation, an empty list for the public ones', () => {
    for (const [name, operation] of operations()) expect(operation.security, name).toBeDefined();
    expect(op('get', '/healthz').security).toEqual([]);
    expect(op('put', PUT).security).toEqual([{ bearer: [], uploadToken: [] }]);
  });

  it("carries the package's version", async () => {
    const pkg = JSON.parse(await fs.readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(doc.info.version).toBe(pkg.version);
  });
});

function objectsIn(schema: Schema): Schema[] {
  const nested = [...Object.values(schema.properties ?? {}), ...(schema.items ? [schema.items] : [])];
  return [...(schema.type === 'object' ? [schema] : []), ...nested.flatMap(objectsIn)];
}
