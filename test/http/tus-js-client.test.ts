// An unmodified tus client (tus-js-client, pinned) uploads a 200 MiB blob into a session through a proxy
// that cuts the connection at random points, and resumes each time from the server's offset.
import { createHash, randomBytes } from 'node:crypto';
import { Upload } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobKey } from '../../src/domain/blob-key.js';
import { startFaultProxy, type Fault } from '../cli/fault-proxy.js';
import { Api, makeBlob } from '../support/api.js';
import { startServer, type TestServer } from '../support/server.js';
import { allowFor } from '../support/timeouts.js';

const MiB = 1024 * 1024;
const SIZE = 200 * MiB;
const CUTS = 4;

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startServer();
  api = new Api(server.url, server.token);
});
afterAll(async () => server.stop());

async function storedSha256(sha256: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await server.server.backends.blobs.read(blobKey(sha256))) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('tus-js-client 4.3.1 in Node', () => {
  it(
    `uploads a 200 MiB blob through ${CUTS} cut connections and the session completes with the right bytes`,
    async () => {
      const blob = makeBlob('big/video.bin', randomBytes(SIZE));
      const session = await api.createSession([blob]);
      // Each of the first PATCHes dies after a random number of its bytes (at least 1 MiB, at most 40 MiB).
      const cuts = Array.from({ length: CUTS }, () => MiB + Math.floor(Math.random() * 39 * MiB));
      const plan = (request: { method: string; index: number }): Fault =>
        request.method === 'PATCH' && request.index < CUTS ? { kind: 'cut-request', bytes: cuts[request.index] } : { kind: 'pass' };
      const proxy = await startFaultProxy(server.url, plan);
      const offsets: number[] = [];
      try {
        await new Promise<void>((resolve, reject) => {
          const upload = new Upload(blob.bytes, {
            endpoint: `${proxy.url}/v1/upload-sessions/${session.uploadSessionId}/uploads`,
            headers: { authorization: `Bearer ${server.token}`, 'x-upload-token': session.uploadToken },
            metadata: { filename: 'video.bin', sha256: blob.sha256 },
            uploadSize: blob.size,
            retryDelays: [0, 100, 200, 400, 800, 1600],
            storeFingerprintForResuming: false,
            onAfterResponse: (request, response) => {
              if (request.getMethod() === 'HEAD') offsets.push(Number(response.getHeader('Upload-Offset')));
            },
            onSuccess: () => resolve(),
            onError: reject,
          });
          upload.start();
        });
      } finally {
        await proxy.close();
      }
      const patches = proxy.log.filter((entry) => entry.method === 'PATCH');
      expect(patches.length).toBe(CUTS + 1);
      // Every resumption started from bytes the server had kept: the offsets grow with each cut.
      expect(offsets).toHaveLength(CUTS);
      for (const [index, offset] of offsets.entries()) expect(offset).toBeGreaterThan(index === 0 ? 0 : offsets[index - 1]);
      expect(await storedSha256(blob.sha256)).toBe(blob.sha256);
      const completed = await api.complete(session);
      expect(completed.status).toBe(200);
    },
    allowFor(60_000),
  );
});
