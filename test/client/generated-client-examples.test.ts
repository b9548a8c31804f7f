// Every example the served /openapi.json gives is one the server accepts: each operation is called with its
// documented parameter and body examples, and none is refused as malformed (400). The limits the document states
// (a mime's shape, a manifest id's pattern) are the ones the server enforces, and each route's 400 says what it means.
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.js';

interface Parameter {
  readonly in: 'path' | 'query' | 'header';
  readonly name: string;
  readonly example?: unknown;
  readonly schema: Record<string, unknown>;
}
interface Media {
  readonly example?: unknown;
  readonly schema?: { examples?: unknown[] };
}
interface Operation {
  readonly parameters?: Parameter[];
  readonly requestBody?: { content: Record<string, Media> };
  readonly responses: Record<string, { description: string; content?: Record<string, { schema: { description?: string } }> }>;
}
interface Document {
  readonly paths: Record<string, Record<string, Operation>>;
}

let server: TestServer;
let document: Document;

beforeAll(async () => {
  server = await startServer();
  document = (await (await fetch(`${server.url}/openapi.json`)).json()) as Document;
});
afterAll(async () => server?.stop());

function operations(): Array<[string, string, Operation]> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]): [string, string, Operation] => [method.toUpperCase(), path, operation]),
  );
}

/** The request the document's examples make of an operation. */
function exampleRequest(method: string, template: string, operation: Operation): { url: string; init: RequestInit } {
  const parameters = operation.parameters ?? [];
  const exampleOf = (p: Parameter) => String(p.example ?? (p.schema.examples as unknown[] | undefined)?.[0] ?? '');
  let path = template;
  const query = new URLSearchParams();
  const headers: Record<string, string> = { authorization: `Bearer ${server.token}` };
  for (const p of parameters) {
    if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(exampleOf(p)));
    else if (p.in === 'query' && exampleOf(p) !== '') query.set(p.name, exampleOf(p));
    else if (p.in === 'header') headers[p.name] = exampleOf(p) || (p.name === 'x-upload-token' ? 'pcu_example' : '');
  }
  for (const name of Object.keys(headers)) if (headers[name] === '') delete headers[name];
  const init: RequestInit = { method, headers };
  const [mediaType, media] = Object.entries(operation.requestBody?.content ?? {})[0] ?? [];
  const example = media?.example ?? media?.schema?.examples?.[0];
  if (mediaType === 'application/json') {
    headers['content-type'] = mediaType;
    init.body = JSON.stringify(example);
  } else if (mediaType === 'multipart/form-data') {
    const form = new FormData();
    for (const [name, value] of Object.entries(example as Record<string, string>)) form.append(name, new Blob([value]), name);
    init.body = form;
  } else if (mediaType !== undefined) {
    headers['content-type'] = mediaType;
    init.body = String(example);
  }
  return { url: `${server.url}${path}${query.size > 0 ? `?${query}` : ''}`, init };
}

describe("the document's examples", () => {
  it('are accepted by the server: no operation called with them answers 400', async () => {
    const answers: string[] = [];
    for (const [method, path, operation] of operations()) {
      const { url, init } = exampleRequest(method, path, operation);
      const response = await fetch(url, init);
      const body = method === 'HEAD' ? '' : await response.text();
      answers.push(`${method} ${path} → ${response.status} ${body.slice(0, 160)}`);
    }
    expect(answers.filter((answer) => / → 400 /.test(answer))).toEqual([]);
    // HEAD of a manifest is part of the contract (the CLI relies on it), so the document declares it.
    expect(answers.map((answer) => answer.split(' → ')[0])).toContain('HEAD /v1/manifests/{manifestId}');
  });

  it('state the limits the server enforces: a mime is a media type, a manifest id 64 lowercase hex digits', async () => {
    const ajv = new Ajv({ strict: false });
    const bodySchema = document.paths['/v1/upload-sessions'].post.requestBody?.content['application/json'].schema as
      | { properties: { files: { items: { properties: { mime: object } } } } }
      | undefined;
    const entrySchema = bodySchema?.properties.files.items.properties.mime ?? {};
    const sha = 'e'.repeat(64);
    for (const [mime, accepted] of [
      ['text/html', true],
      ['text/plain; charset=utf-8', true],
      ['not a media type', false],
      ['html', false],
    ] as const) {
      const response = await fetch(`${server.url}/v1/upload-sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ files: [{ path: 'a.txt', sha256: sha, size: 1, mime }] }),
      });
      expect([mime, ajv.validate(entrySchema, mime), response.status]).toEqual([mime, accepted, accepted ? 201 : 400]);
    }
    const manifestParam = document.paths['/v1/manifests/{manifestId}'].get.parameters?.find((p) => p.name === 'manifestId');
    for (const [id, accepted] of [
      ['f'.repeat(64), true],
      ['nothing', false],
    ] as const) {
      const response = await fetch(`${server.url}/v1/manifests/${id}`, { headers: { authorization: `Bearer ${server.token}` } });
      expect([id, ajv.validate(manifestParam?.schema ?? {}, id), response.status]).toEqual([id, accepted, accepted ? 404 : 400]);
    }
  });

  it("say in the batch route's 400 that its body is multipart/form-data", () => {
    const batch = document.paths['/v1/upload-sessions/{uploadSessionId}/blobs'].post.responses['400'];
    const description = batch.content?.['application/json'].schema.description ?? '';
    expect(description).toContain('unsupported_content_type: The Content-Type must be multipart/form-data.');
    expect(description).not.toContain('application/octet-stream');
  });
});
