// Aliases and DELETE /v1/manifests/{manifestId} through the API (both backends): names unique across tenants,
// history, the publish scope, previewUrl on every manifest answer, and a deleted manifest's blobs collected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/domain/garbage-collector.js';
import { Api, errorOf, makeBlob } from '../support/api.js';
import { startServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
let port: string;

beforeAll(async () => {
  server = await startServer();
  api = new Api(server.url, await server.tokenFor('aliases', ['upload', 'read', 'publish']));
  port = new URL(server.url).port;
});
afterAll(async () => {
  await server?.stop();
});

const unique = () => `${Date.now()}-${Math.random()}`;
const publishPage = (text: string) => api.publish([makeBlob('index.html', `<h1>${text}</h1>`)]);
const putAlias = (client: Api, name: string, manifestId: unknown) => client.request('PUT', `/v1/aliases/${name}`, { body: { manifestId } });

describe('PUT /v1/aliases/{name}', () => {
  it('creates (201), moves (200), and answers the same manifest again without a new history entry', async () => {
    const one = await publishPage(`one ${unique()}`);
    const two = await publishPage(`two ${unique()}`);
    const created = await putAlias(api, 'www', one);
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({
      name: 'www',
      manifestId: one,
      url: `http://www.localhost:${port}/`,
      previewUrl: `http://${one.slice(0, 32)}.localhost:${port}/`,
      updatedAt: expect.any(String),
    });
    expect((await putAlias(api, 'www', two)).status).toBe(200);
    expect((await putAlias(api, 'www', two)).status).toBe(200);
    const shown = (await (await api.request('GET', '/v1/aliases/www')).json()) as {
      manifestId: string;
      history: Array<{ manifestId: string }>;
    };
    expect(shown.manifestId).toBe(two);
    expect(shown.history.map((change) => change.manifestId)).toEqual([two, one]);
    const list = (await (await api.request('GET', '/v1/aliases')).json()) as { aliases: Array<{ name: string; url: string }> };
    expect(list.aliases).toEqual([{ name: 'www', manifestId: two, url: `http://www.localhost:${port}/`, updatedAt: expect.any(String) }]);
  });

  it('refuses bad names (400), unknown or foreign manifests (404), names held by another tenant (409), and needs publish (403)', async () => {
    const mine = await publishPage(`mine ${unique()}`);
    for (const name of ['-www', 'www-', 'a'.repeat(64), 'WWW', 'a_b', 'ab12cd34ef56ab12cd34ef56ab12cd34']) {
      expect((await errorOf(await putAlias(api, name, mine))).error, name).toBe('invalid_request');
    }
    expect((await putAlias(api, 'a'.repeat(63), mine)).status).toBe(201);
    expect((await errorOf(await putAlias(api, 'nothing', 'f'.repeat(64)))).error).toBe('manifest_not_found');
    expect((await errorOf(await putAlias(api, 'nothing', 'not-an-id'))).error).toBe('manifest_not_found');

    const other = new Api(server.url, await server.tokenFor(`other ${unique()}`, ['upload', 'read', 'publish']));
    const theirs = await other.publish([makeBlob('index.html', `<p>theirs ${unique()}</p>`)]);
    expect((await putAlias(api, 'taken-name', mine)).status).toBe(201);
    const taken = await errorOf(await putAlias(other, 'taken-name', theirs));
    expect([taken.status, taken.error]).toEqual([409, 'alias_taken']);
    expect((await errorOf(await putAlias(other, 'theirs', mine))).error).toBe('manifest_not_found');
    expect((await errorOf(await other.request('GET', '/v1/aliases/taken-name'))).error).toBe('alias_not_found');
    expect((await errorOf(await other.request('DELETE', '/v1/aliases/taken-name'))).error).toBe('alias_not_found');

    const readOnly = new Api(server.url, await server.tokenFor('aliases', ['upload', 'read']));
    const refused = await errorOf(await putAlias(readOnly, 'www', mine));
    expect([refused.status, refused.error]).toEqual([403, 'forbidden']);
    expect((await errorOf(await readOnly.request('DELETE', `/v1/manifests/${mine}`))).error).toBe('forbidden');
  });
});

describe('DELETE /v1/aliases/{name}', () => {
  it('answers 204 and frees the name for another tenant', async () => {
    const mine = await publishPage(`free ${unique()}`);
    expect((await putAlias(api, 'freed', mine)).status).toBe(201);
    expect((await api.request('DELETE', '/v1/aliases/freed')).status).toBe(204);
    expect((await errorOf(await api.request('GET', '/v1/aliases/freed'))).error).toBe('alias_not_found');
    const other = new Api(server.url, await server.tokenFor(`taker ${unique()}`, ['upload', 'read', 'publish']));
    const theirs = await other.publish([makeBlob('index.html', `<p>taker ${unique()}</p>`)]);
    expect((await putAlias(other, 'freed', theirs)).status).toBe(201);
  });
});

describe('manifest answers and DELETE /v1/manifests/{manifestId}', () => {
  it('completion, the manifest and the list carry previewUrl', async () => {
    const blob = makeBlob('index.html', `<p>preview ${unique()}</p>`);
    const session = await api.createSession([blob]);
    await api.putBlob(session, blob.sha256, blob.bytes);
    const completed = (await (await api.complete(session)).json()) as { manifest: { manifestId: string; previewUrl: string } };
    const { manifestId } = completed.manifest;
    const previewUrl = `http://${manifestId.slice(0, 32)}.localhost:${port}/`;
    expect(completed.manifest.previewUrl).toBe(previewUrl);
    expect(((await (await api.request('GET', `/v1/manifests/${manifestId}`)).json()) as { previewUrl: string }).previewUrl).toBe(
      previewUrl,
    );
    const list = (await (await api.request('GET', '/v1/manifests')).json()) as {
      manifests: Array<{ manifestId: string; previewUrl: string }>;
    };
    expect(list.manifests.find((m) => m.manifestId === manifestId)?.previewUrl).toBe(previewUrl);
  });

  it('is refused while an alias points at it (naming the aliases), then deletes it; GC collects its blobs', async () => {
    const blob = makeBlob('only-here.txt', `only in this manifest ${unique()}`);
    const manifestId = await api.publish([blob]);
    expect((await putAlias(api, 'holder', manifestId)).status).toBe(201);
    const inUse = await errorOf(await api.request('DELETE', `/v1/manifests/${manifestId}`));
    expect([inUse.status, inUse.error, inUse.body.aliases]).toEqual([409, 'manifest_in_use', ['holder']]);
    expect(inUse.message).toContain('holder');

    const other = new Api(server.url, await server.tokenFor(`deleter ${unique()}`, ['upload', 'read', 'publish']));
    expect((await errorOf(await other.request('DELETE', `/v1/manifests/${manifestId}`))).error).toBe('manifest_not_found');

    expect((await api.request('DELETE', '/v1/aliases/holder')).status).toBe(204);
    expect((await api.request('DELETE', `/v1/manifests/${manifestId}`)).status).toBe(204);
    expect((await errorOf(await api.request('GET', `/v1/manifests/${manifestId}`))).error).toBe('manifest_not_found');
    expect((await errorOf(await api.request('DELETE', `/v1/manifests/${manifestId}`))).error).toBe('manifest_not_found');

    expect(await server.storedBlobs()).toContain(blob.sha256);
    await collectGarbage({ ...server.server.backends, graceSeconds: 0, sessionRetentionSeconds: 0, now: new Date(Date.now() + 1000) });
    expect(await server.storedBlobs()).not.toContain(blob.sha256);
  });
});
