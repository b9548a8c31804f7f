// tus on the scale-out backends: two `presscloud serve` instances on one PostgreSQL and one S3 bucket
// (s3rver), tus-js-client's PATCHes alternating between them through a proxy, and one instance killed
// (SIGKILL) in the middle of a PATCH. The upload finishes on the other with the right bytes, and only the
// killed PATCH's unacknowledged bytes are sent again.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Upload } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiToken } from '../../src/domain/api-tokens.js';
import { openMetadataStore } from '../../src/runtime.js';
import { Api, makeBlob } from '../support/api.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { type RunningS3rver, startS3rver } from '../support/s3rver.js';
import { type ServeProcess, startServeProcess } from '../support/serve-process.js';
import { makeTempDir } from '../support/server.js';
import { allowFor } from '../support/timeouts.js';

const MiB = 1024 * 1024;
const SIZE = 200 * MiB;
/** Not a multiple of the S3 part size: every PATCH leaves a tail that the other instance continues. */
const CHUNK = 12 * MiB;
/** The victim dies after this much of its PATCH reached it. */
const KILL_AFTER = 3 * MiB;

let schema: TestSchema;
let s3: RunningS3rver;
let instances: ServeProcess[] = [];
let token: string;

beforeAll(async () => {
  schema = await createTestSchema();
  s3 = await startS3rver();
  const start = async () =>
    startServeProcess(
      await makeTempDir('presscloud-tus-'),
      ['--database-url', schema.databaseUrl, '--blob-store', `s3://${s3.bucket}/b`],
      s3.env,
    );
  instances = await Promise.all([start(), start()]);
  const metadata = await openMetadataStore({ databaseUrl: schema.databaseUrl, dataDir: '/nonexistent' });
  token = await issueApiToken(metadata, 'tus', ['upload', 'read']);
  await metadata.close();
}, allowFor(15_000));

afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.kill()));
  await s3?.stop();
  await schema?.drop();
});

interface Alternator {
  readonly url: string;
  /** PATCH body bytes forwarded, per instance index. */
  readonly patchBytes: number[];
  killed: boolean;
  close(): Promise<void>;
}

/** PATCHes go to the instances in turn; the victim's first PATCH after `killFrom` PATCHes is its last. */
async function startAlternator(victim: ServeProcess, killFrom: number): Promise<Alternator> {
  const state: Omit<Alternator, 'url' | 'close'> = { patchBytes: instances.map(() => 0), killed: false };
  let patches = 0;
  let others = 0;
  const server = http.createServer((req, res) => {
    const live = instances.filter((instance) => !(state.killed && instance === victim));
    const target = req.method === 'PATCH' ? live[patches++ % live.length] : live[others++ % live.length];
    const index = instances.indexOf(target);
    const doomed = req.method === 'PATCH' && target === victim && patches > killFrom && !state.killed;
    const upstream = new URL(target.url);
    const outgoing = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    outgoing.on('error', () => req.socket.destroy());
    let forwarded = 0;
    req.on('data', (chunk: Buffer) => {
      if (req.method === 'PATCH') state.patchBytes[index] += chunk.length;
      forwarded += chunk.length;
      if (doomed && forwarded >= KILL_AFTER && !state.killed) {
        state.killed = true;
        void victim.kill();
      }
    });
    req.pipe(outgoing);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

describe('tus on PostgreSQL + S3 with two instances', () => {
  it(
    'continues an upload on either instance, and one killed mid-PATCH costs only its unacknowledged bytes',
    async () => {
      const [victim, survivor] = instances;
      const blob = makeBlob('big.bin', randomBytes(SIZE));
      const session = await new Api(survivor.url, token).createSession([blob]);
      const proxy = await startAlternator(victim, 4);
      try {
        await new Promise<void>((resolve, reject) => {
          new Upload(blob.bytes, {
            endpoint: `${proxy.url}/v1/upload-sessions/${session.uploadSessionId}/uploads`,
            headers: { authorization: `Bearer ${token}`, 'x-upload-token': session.uploadToken },
            metadata: { sha256: blob.sha256 },
            uploadSize: blob.size,
            chunkSize: CHUNK,
            // The killed instance's lease (10 s) makes the survivor answer 423 until it lapses.
            retryDelays: [0, 500, 1000, 2000, 3000, 4000, 4000, 4000, 4000],
            storeFingerprintForResuming: false,
            onSuccess: () => resolve(),
            onError: reject,
          }).start();
        });
      } finally {
        await proxy.close();
      }
      expect(proxy.killed).toBe(true);
      expect((await victim.exited).signal).toBe('SIGKILL');
      expect(proxy.patchBytes[0]).toBeGreaterThan(0);
      expect(proxy.patchBytes[1]).toBeGreaterThan(0);
      // Everything acknowledged stayed: at most the killed PATCH's chunk travelled twice.
      expect(proxy.patchBytes[0] + proxy.patchBytes[1]).toBeLessThanOrEqual(SIZE + CHUNK);

      const api = new Api(survivor.url, token);
      const download = await api.request('GET', `/v1/blobs/${blob.sha256}`);
      expect(download.status).toBe(200);
      expect(
        createHash('sha256')
          .update(Buffer.from(await download.arrayBuffer()))
          .digest('hex'),
      ).toBe(blob.sha256);
      expect((await api.complete(session)).status).toBe(200);
    },
    allowFor(90_000),
  );
});
