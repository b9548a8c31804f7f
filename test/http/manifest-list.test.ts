// GET /v1/manifests: the tenant's manifests newest first, paged by an opaque cursor, and its 400s.
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, errorOf, makeBlob } from '../support/api.js';
import { startServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
/** Manifest ids in the order they were completed. */
const published: string[] = [];

interface Page {
  manifests: Array<{ manifestId: string; createdAt: string; fileCount: number; totalBytes: number }>;
  nextCursor?: string;
}

beforeAll(async () => {
  server = await startServer();
  api = new Api(server.url, await server.tokenFor('lister'));
  for (let i = 0; i < 7; i++)
    published.push(await api.publish([makeBlob(`site-${i}/index.html`, `<p>${i}</p>`), makeBlob(`site-${i}/extra.txt`, 'shared')]));
});
afterAll(async () => server.stop());

async function list(query = '', client = api): Promise<Response> {
  return client.request('GET', `/v1/manifests${query}`);
}

describe('GET /v1/manifests', () => {
  it('lists the tenant’s manifests newest first with their counts, in one page by default', async () => {
    const response = await list();
    expect(response.status).toBe(200);
    const page = (await response.json()) as Page;
    expect(page.nextCursor).toBeUndefined();
    expect(page.manifests.map((m) => m.manifestId)).toEqual([...published].reverse());
    expect(page.manifests[0]).toEqual({
      manifestId: published.at(-1),
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      fileCount: 2,
      totalBytes: '<p>6</p>'.length + 'shared'.length,
      previewUrl: expect.stringMatching(/^http:\/\/[0-9a-f]{32}\.localhost:\d+\/$/),
    });
    const times = page.manifests.map((m) => m.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('pages through them with limit and the cursor, each manifest once', async () => {
    const seen: string[] = [];
    let query = '?limit=3';
    for (let pages = 1; ; pages++) {
      const page = (await (await list(query)).json()) as Page;
      expect(page.manifests.length).toBeLessThanOrEqual(3);
      seen.push(...page.manifests.map((m) => m.manifestId));
      if (!page.nextCursor) {
        expect(pages).toBe(3);
        break;
      }
      query = `?limit=3&cursor=${encodeURIComponent(page.nextCursor)}`;
    }
    expect(seen).toEqual([...published].reverse());

    const exact = (await (await list(`?limit=${published.length}`)).json()) as Page;
    expect(exact.manifests).toHaveLength(published.length);
    expect(exact.nextCursor).toBeUndefined();
  });

  it('shows nothing of another tenant’s, and needs the read scope', async () => {
    const other = new Api(server.url, await server.tokenFor('stranger'));
    expect(await (await list('', other)).json()).toEqual({ manifests: [] });
    const uploadOnly = new Api(server.url, await server.tokenFor('lister', ['upload']));
    expect(await errorOf(await list('', uploadOnly))).toMatchObject({ status: 403, error: 'forbidden' });
    expect(await errorOf(await fetch(`${server.url}/v1/manifests`))).toMatchObject({ status: 401, error: 'unauthenticated' });
  });

  it('answers 400 invalid_request for a bad limit or cursor', async () => {
    const forged = Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url');
    for (const query of [
      '?limit=0',
      '?limit=1001',
      '?limit=abc',
      '?limit=1.5',
      '?limit=-1',
      '?limit=',
      '?limit=1&limit=2',
      '?cursor=',
      '?cursor=%%%',
      '?cursor=bm90IGpzb24',
      `?cursor=${forged}`,
    ]) {
      const body = await errorOf(await list(query));
      expect({ query, status: body.status, error: body.error }).toEqual({ query, status: 400, error: 'invalid_request' });
    }
    expect((await list('?limit=1000')).status).toBe(200);
  });

  it('is documented in /openapi.json with its query parameters, and its answers fit the schema', async () => {
    type Operation = {
      parameters: Array<{ name: string; in: string; schema: object }>;
      responses: Record<string, { content: Record<string, { schema: object }> }>;
    };
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, Operation>> };
    const get = doc.paths['/v1/manifests'].get;
    expect(get.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'limit',
          in: 'query',
          schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 1000, default: 100 }),
        }),
        expect.objectContaining({ name: 'cursor', in: 'query', schema: expect.objectContaining({ type: 'string' }) }),
      ]),
    );
    expect(Object.keys(get.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
    const validate = new Ajv({ strict: false }).compile(get.responses['200'].content['application/json'].schema);
    const page = await (await list('?limit=2')).json();
    expect(validate(page), JSON.stringify(validate.errors)).toBe(true);
  });
});
