// Error messages in one voice: what the schema validator refuses reads like the hand-written checks
// ("files[0].size must be …"), a missing token reads the same everywhere, and limits name their setting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, errorOf, makeBlob } from '../support/api.js';
import { startServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startServer({ config: { maxManifestFiles: 3, maxBlobSize: 1000, maxJsonBodyBytes: 4096 } });
  api = new Api(server.url, server.token);
});
afterAll(async () => server.stop());

const HEX = 'c'.repeat(64);
const file = (entry: Record<string, unknown>) => ({ files: [{ path: 'a.txt', sha256: HEX, size: 1, ...entry }] });

async function refusal(body: unknown): Promise<string> {
  const error = await errorOf(await api.request('POST', '/v1/upload-sessions', { body }));
  expect([error.status, error.error]).toEqual([400, 'invalid_request']);
  return error.message;
}

describe('what the schema validator refuses', () => {
  it.each<[string, unknown, string]>([
    ['a negative size', file({ size: -1 }), 'files[0].size must be an integer from 0 to 1000, not -1.'],
    ['a size over the maximum', file({ size: 1001 }), 'files[0].size must be an integer from 0 to 1000, not 1001.'],
    ['a fractional size', file({ size: 1.5 }), 'files[0].size must be an integer.'],
    ['a size as a string', file({ size: '1' }), 'files[0].size must be an integer.'],
    ['a missing size', { files: [{ path: 'a.txt', sha256: HEX }] }, 'files[0].size is required.'],
    ['a short sha256', file({ sha256: 'abc' }), 'files[0].sha256 must be 64 hexadecimal digits.'],
    ['an empty path', file({ path: '' }), 'files[0].path must be 1 to 1024 characters long.'],
    ['an unknown field in an entry', file({ color: 'red' }), 'files[0] has an unknown field "color".'],
    ['a misspelt field', { ...file({}), expiresInSecond: 60 }, 'The request body has an unknown field "expiresInSecond".'],
    ['files not an array', { files: 'x' }, 'files must be an array.'],
    ['no files', { files: [] }, 'files must list at least 1 entry.'],
    [
      'too many files',
      { files: ['a', 'b', 'c', 'd'].map((path) => ({ path, sha256: HEX, size: 1 })) },
      'files lists 4 entries; the limit is 3.',
    ],
    ['no body object', [], 'The request body must be an object.'],
    ['expiresInSeconds of 0', { ...file({}), expiresInSeconds: 0 }, 'expiresInSeconds must be an integer from 1 to 604800, not 0.'],
  ])('%s: %s', async (_name, body, message) => {
    expect(await refusal(body)).toBe(message);
  });

  it("never speaks the validator's own dialect", async () => {
    const bodies = [
      file({ size: -1 }),
      file({ sha256: 'x' }),
      file({ mime: 'm'.repeat(300) }),
      { files: [{}] },
      { files: [1] },
      {},
      { files: null },
    ];
    for (const body of bodies) {
      const message = await refusal(body);
      expect(message).toMatch(/^(files|The request body|expiresInSeconds)\b.*\.$/);
      expect(message).not.toMatch(/body\.|\/|>=|<=|must match|pattern|NOT have|\bproperty\b/);
    }
  });
});

describe('hand-written messages', () => {
  it('says the same of a missing token on every route', async () => {
    const routes: Array<[string, string]> = [
      ['POST', '/v1/upload-sessions'],
      ['GET', '/v1/upload-sessions/us_x'],
      ['PUT', `/v1/upload-sessions/us_x/blobs/${HEX}`],
      ['POST', '/v1/upload-sessions/us_x/complete'],
      ['DELETE', '/v1/upload-sessions/us_x'],
      ['GET', `/v1/manifests/${HEX}`],
      ['GET', `/v1/blobs/${HEX}`],
    ];
    const messages = new Set<string>();
    for (const [method, path] of routes) {
      const error = await errorOf(await fetch(`${server.url}${path}`, { method, headers: { 'x-upload-token': 'pcu_x' } }));
      expect([error.status, error.error]).toEqual([401, 'unauthenticated']);
      messages.add(error.message);
    }
    expect([...messages]).toEqual(['Send an API token as "Authorization: Bearer <token>".']);
  });

  it('names the limit and the setting behind a 413', async () => {
    const error = await errorOf(
      await api.request('POST', '/v1/upload-sessions', { body: { files: [{ path: 'x'.repeat(5000), sha256: HEX, size: 1 }] } }),
    );
    expect([error.status, error.error]).toEqual([413, 'payload_too_large']);
    expect(error.message).toBe("The request body is over this server's limit of 4 KiB, set by --max-json-body (PRESSCLOUD_MAX_JSON_BODY).");
  });

  it('counts missing blobs in good grammar', async () => {
    const one = await api.createSession([makeBlob('one.txt', 'one missing')]);
    expect((await errorOf(await api.complete(one))).message).toBe("1 of the session's blobs has not been uploaded yet.");
    const two = await api.createSession([makeBlob('a.txt', 'first'), makeBlob('b.txt', 'second')]);
    expect((await errorOf(await api.complete(two))).message).toBe("2 of the session's blobs have not been uploaded yet.");
  });

  it('tells a client whose session expired to create a new one', async () => {
    const blob = makeBlob('late.txt', 'too late');
    const session = await api.createSession([blob], { expiresInSeconds: 1 });
    server.advanceClock(1100);
    const error = await errorOf(await api.putBlob(session, blob.sha256, blob.bytes));
    expect([error.status, error.error]).toEqual([410, 'session_expired']);
    expect(error.message).toMatch(/expired; create a new session/);
  });
});
