// The SDK's HEAD calls (hasManifest, headBlob) against the real server: yes, no, and a refusal thrown as a
// PressCloudApiError, never a crash on the empty body a HEAD answer has.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PressCloudApiError, PressCloudClient } from '../../src/index.js';
import { sha256Of } from '../support/api.js';
import { startServer } from '../support/server.js';

type Server = Awaited<ReturnType<typeof startServer>>;

let server: Server;
let client: PressCloudClient;
let manifestId: string;
let blob: Buffer;

beforeAll(async () => {
  server = await startServer({});
  client = new PressCloudClient({ baseUrl: server.url, token: server.token });
  blob = randomBytes(1000);
  const session = await client.createUploadSession({ files: [{ path: 'a.bin', sha256: sha256Of(blob), size: blob.length }] });
  await client.putBlob(session.uploadSessionId, session.uploadToken, sha256Of(blob), blob, { size: blob.length });
  manifestId = (await client.completeUploadSession(session.uploadSessionId, session.uploadToken)).manifest.manifestId;
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
});

/** The error a call rejected with, for assertions on its fields. */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('HEAD calls of the SDK', () => {
  it('say whether the tenant holds a manifest or a blob', async () => {
    expect(await client.hasManifest(manifestId)).toBe(true);
    expect(await client.hasManifest('0'.repeat(64))).toBe(false);
    expect(await client.headBlob(sha256Of(blob))).toMatchObject({ size: 1000 });
    expect(await client.headBlob('0'.repeat(64))).toBeNull();
  });

  it('throw the refusal of a bad token or a missing scope as a PressCloudApiError with its status', async () => {
    const stranger = new PressCloudClient({ baseUrl: server.url, token: 'pct_not_a_real_token' });
    const uploadOnly = new PressCloudClient({ baseUrl: server.url, token: await server.tokenFor('test', ['upload']) });
    try {
      for (const call of [stranger.hasManifest(manifestId), stranger.headBlob(sha256Of(blob))]) {
        const err = await rejection(call);
        expect(err).toBeInstanceOf(PressCloudApiError);
        expect((err as PressCloudApiError).status).toBe(401);
      }
      const forbidden = await rejection(uploadOnly.hasManifest(manifestId));
      expect(forbidden).toBeInstanceOf(PressCloudApiError);
      expect((forbidden as PressCloudApiError).status).toBe(403);
    } finally {
      await stranger.close();
      await uploadOnly.close();
    }
  });
});
