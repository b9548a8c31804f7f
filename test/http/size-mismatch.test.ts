// A manifest never records a size its blob does not have: creating a session that declares a blob this
// tenant already holds with another size is 400 size_mismatch, and another tenant learns nothing from it.
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

async function blobSize(api: Api, sha256: string): Promise<number> {
  const response = await api.request('GET', `/v1/blobs/${sha256}`);
  expect(response.status).toBe(200);
  return (await response.arrayBuffer()).byteLength;
}

describe('size_mismatch at session creation', () => {
  it('refuses an entry declaring a held blob with another size, naming the entry, and stores nothing', async () => {
    const held = makeBlob('hello.txt', 'hello world');
    await alice.publish([held]);
    const fresh = makeBlob('fresh.txt', 'not held yet');

    const response = await alice.request('POST', '/v1/upload-sessions', {
      body: {
        files: [
          { path: fresh.path, sha256: fresh.sha256, size: fresh.size },
          { path: 'big.bin', sha256: held.sha256, size: 999_999 },
        ],
      },
    });
    const error = await errorOf(response);
    expect([error.status, error.error]).toEqual([400, 'size_mismatch']);
    expect(error.message).toContain('files[1]');
    expect(error.message).toContain('"big.bin"');
    expect(error.message).toContain('11');

    // The refused session left nothing: the blob still has its 11 bytes, and the right size is welcome.
    expect(await blobSize(alice, held.sha256)).toBe(11);
    const right = await alice.createSession([fresh, { ...held, path: 'big.bin' }]);
    expect(right.missing).toEqual([fresh.sha256]);
    expect(right.totalBytes).toBe(fresh.size + 11);
  });

  it('checks only the calling tenant: another tenant may declare any size and gets the blob listed as missing', async () => {
    const held = makeBlob('secret.txt', 'only alice holds this');
    await alice.publish([held]);

    const session = await bob.createSession([{ ...held, size: 999_999 }]);
    expect(session.missing).toEqual([held.sha256]);
    // Bob's bytes then meet the size he declared, as for any blob he does not hold.
    const put = await errorOf(await bob.putBlob(session, held.sha256, held.bytes));
    expect([put.status, put.error]).toEqual([400, 'size_mismatch']);
    expect(await blobSize(alice, held.sha256)).toBe(held.size);
  });
});
