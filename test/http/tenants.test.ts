// Tenant isolation: sessions, manifests and blobs are per tenant; bytes are shared without telling anyone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, errorOf, makeBlob } from '../support/api.js';
import { startServer, type TestServer } from '../support/server.js';

let server: TestServer;
let alice: Api;
let bob: Api;

beforeAll(async () => {
  server = await startServer();
  alice = new Api(server.url, await server.tokenFor('alice'));
  bob = new Api(server.url, await server.tokenFor('bob'));
});
afterAll(async () => server.stop());

describe('tenants', () => {
  it("answers 404 for another tenant's session, manifest and blob on every route", async () => {
    const secret = makeBlob('secret.txt', 'alice only');
    const session = await alice.createSession([secret]);
    await alice.putBlob(session, secret.sha256, secret.bytes);
    const manifestSession = await alice.createSession([{ ...secret, path: 'again.txt' }]);
    const manifestId = ((await (await alice.complete(manifestSession)).json()) as { manifest: { manifestId: string } }).manifest.manifestId;

    const expectations: Array<[Promise<Response>, number, string]> = [
      [bob.request('GET', `/v1/upload-sessions/${session.uploadSessionId}`), 404, 'session_not_found'],
      [bob.putBlob(session, secret.sha256, secret.bytes), 404, 'session_not_found'],
      [bob.complete(session), 404, 'session_not_found'],
      [bob.abort(session), 404, 'session_not_found'],
      [bob.request('GET', `/v1/manifests/${manifestId}`), 404, 'manifest_not_found'],
      [bob.request('GET', `/v1/blobs/${secret.sha256}`), 404, 'blob_not_found'],
    ];
    for (const [response, status, code] of expectations) {
      const error = await errorOf(await response);
      expect([error.status, error.error]).toEqual([status, code]);
    }
    expect((await bob.request('HEAD', `/v1/blobs/${secret.sha256}`)).status).toBe(404);
    expect((await alice.request('GET', `/v1/upload-sessions/${session.uploadSessionId}`)).status).toBe(200);
  });

  it('never reveals through missing or alreadyPresent what another tenant holds, and stores the bytes once', async () => {
    const shared = makeBlob('shared.css', 'body { color: teal }');
    await alice.publish([shared]);

    const session = await bob.createSession([shared]);
    expect(session.missing).toEqual([shared.sha256]);
    const wrong = await errorOf(await bob.putBlob(session, shared.sha256, Buffer.alloc(shared.size, 0x20)));
    expect(wrong.error).toBe('digest_mismatch');
    const put = await bob.putBlob(session, shared.sha256, shared.bytes);
    expect(put.status).toBe(200);
    expect(((await put.json()) as { alreadyPresent: boolean }).alreadyPresent).toBe(false);
    expect((await bob.complete(session)).status).toBe(200);

    expect((await server.storedBlobs()).filter((sha256) => sha256 === shared.sha256)).toHaveLength(1);
  });

  it("does not let another tenant's token complete a session even with its upload token", async () => {
    const blob = makeBlob('x', 'x');
    const session = await alice.createSession([blob]);
    const error = await errorOf(await bob.complete(session));
    expect(error.status).toBe(404);
  });
});
