// Tenants are isolated on every route: another tenant's sessions, manifests and blobs answer 404 as if
// absent, and presence (`missing`, `alreadyPresent`) never reveals what another tenant holds.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.js';
import {
  abortSession,
  completeSession,
  createSession,
  downloadBlob,
  getManifest,
  putBlob,
  putBytes,
  sessionStatus,
  sha256Of,
  uploadAll,
  type LocalFile,
  type OpenSession,
} from '../support/api.js';

let server: TestServer;
let tokenA: string;
let tokenB: string;
const secret: LocalFile = { path: 'secret.bin', content: randomBytes(10_000) };
const secretSha = sha256Of(secret.content);
let manifestOfA: string;
let openSessionOfA: OpenSession;

beforeAll(async () => {
  server = await startServer();
  tokenA = await server.tokenFor('tenant-a');
  tokenB = await server.tokenFor('tenant-b');
  manifestOfA = await uploadAll(server.url, tokenA, [secret]);
  const other: LocalFile = { path: 'pending.bin', content: randomBytes(100) };
  openSessionOfA = (await createSession(server.url, tokenA, [secret, other])).body;
});

afterAll(async () => {
  await server?.stop();
});

describe("another tenant's session", () => {
  it('is 404 session_not_found on status, PUT, complete and abort, even with its upload token', async () => {
    const answers = [
      await sessionStatus(server.url, tokenB, openSessionOfA.uploadSessionId),
      await putBlob(server.url, tokenB, openSessionOfA, secret.content),
      await completeSession(server.url, tokenB, openSessionOfA),
      await abortSession(server.url, tokenB, openSessionOfA),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ error: 'session_not_found' });
    }
    // And the session is untouched: its owner still sees it open.
    expect((await sessionStatus(server.url, tokenA, openSessionOfA.uploadSessionId)).body).toMatchObject({ state: 'open' });
  });

  it('answers the same as a session that does not exist', async () => {
    const invented = { ...openSessionOfA, uploadSessionId: 'us_doesnotexist' };
    const forOther = await sessionStatus(server.url, tokenB, openSessionOfA.uploadSessionId);
    const forNone = await sessionStatus(server.url, tokenB, invented.uploadSessionId);
    expect(forOther.body).toEqual(forNone.body);
  });
});

describe("another tenant's manifest and blobs", () => {
  it('are 404 on GET manifest and on GET and HEAD blob', async () => {
    expect(await getManifest(server.url, tokenB, manifestOfA)).toMatchObject({ status: 404, body: { error: 'manifest_not_found' } });
    expect((await downloadBlob(server.url, tokenB, secretSha)).status).toBe(404);
    const head = await fetch(`${server.url}/v1/blobs/${secretSha}`, { method: 'HEAD', headers: { authorization: `Bearer ${tokenB}` } });
    expect(head.status).toBe(404);
    expect(head.headers.get('etag')).toBeNull();
    // The owner reads both.
    expect((await getManifest(server.url, tokenA, manifestOfA)).status).toBe(200);
    expect(await downloadBlob(server.url, tokenA, secretSha)).toEqual({ status: 200, sha256: secretSha, size: 10_000 });
  });
});

describe('presence', () => {
  it('never reveals what another tenant holds: missing, digest_mismatch for wrong bytes, and alreadyPresent false', async () => {
    const session = await createSession(server.url, tokenB, [secret]);
    expect(session.body.missing).toEqual([secretSha]);
    expect((await sessionStatus(server.url, tokenB, session.body.uploadSessionId)).body.missing).toEqual([secretSha]);

    // Knowing the sha256 and size is not enough: the bytes are read and checked.
    const forged = await putBytes(server.url, tokenB, session.body, randomBytes(10_000), { sha256: secretSha });
    expect(forged).toMatchObject({ status: 400, body: { error: 'digest_mismatch' } });
    expect((await downloadBlob(server.url, tokenB, secretSha)).status).toBe(404);
    expect((await completeSession(server.url, tokenB, session.body)).body).toMatchObject({ error: 'blobs_missing', missing: [secretSha] });

    const real = await putBlob(server.url, tokenB, session.body, secret.content);
    expect(real).toMatchObject({ status: 200, body: { alreadyPresent: false } });
    expect((await putBlob(server.url, tokenB, session.body, secret.content)).body).toMatchObject({ alreadyPresent: true });
    expect((await completeSession(server.url, tokenB, session.body)).status).toBe(200);
    expect(await downloadBlob(server.url, tokenB, secretSha)).toEqual({ status: 200, sha256: secretSha, size: 10_000 });
  });
});
