// Property-based test of the seed's PUT on a real server: random sha256s in the path, headers and bodies
// never get a 5xx, and nothing reaches the store unless its bytes hash to the name it is stored under.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { ERRORS } from '../../src/domain/errors.js';
import { statusOf } from '../../src/http/error-status.js';
import { startServer, type TestServer } from '../support/server.js';
import { createSession, sendRequest, sha256Of } from '../support/api.js';
import { storedBlobFiles, tmpFiles } from '../support/fs-store.js';
import { inlineBlobs } from '../support/sqlite-blobs.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ config: { bodyTimeoutSeconds: 1 } });
});

afterAll(async () => {
  await server?.stop();
});

const hexDigits = '0123456789abcdefABCDEF';
const headerText = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789/;=-+. '), maxLength: 40 });

/** Which sha256 the path names, relative to the blob the session expects. */
// Weighted towards the right request, so that acceptance is exercised too.
const pathSha = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'expected' as const }) },
  fc.constant({ kind: 'expected-upper' as const }),
  fc.record({
    kind: fc.constant('literal' as const),
    value: fc.string({ unit: fc.constantFrom(...hexDigits), minLength: 63, maxLength: 65 }),
  }),
  fc.record({ kind: fc.constant('literal' as const), value: fc.string({ unit: 'binary', minLength: 1, maxLength: 70 }) }),
);
/** What the body holds, relative to the expected content. */
const bodyShape = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'exact' as const }) },
  fc.record({ kind: fc.constant('truncated' as const), keep: fc.nat() }),
  fc.record({ kind: fc.constant('extended' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 100 }) }),
  fc.record({ kind: fc.constant('flipped' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 5000 }) }),
);
const headers = fc.record({
  contentType: fc.option(
    fc.oneof({ weight: 3, arbitrary: fc.constant('application/octet-stream') }, fc.constant('Application/Octet-Stream; x=1'), headerText),
    { nil: undefined },
  ),
  contentLength: fc.constantFrom('declared', 'chunked'),
  uploadToken: fc.oneof({ weight: 6, arbitrary: fc.constant('right') }, fc.constant('wrong'), fc.constant('absent')),
});

it('never answers 5xx, and stores only bytes that hash to their name', async () => {
  const accepted = new Set<string>();
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 65_537, max: 80_000 })),
      pathSha,
      bodyShape,
      headers,
      async (size, which, shape, sent) => {
        runs++;
        const content = randomBytes(size);
        const expected = sha256Of(content);
        const session = (await createSession(server.url, server.token, [{ path: 'blob.bin', content }])).body;

        let body: Buffer;
        if (shape.kind === 'exact') body = content;
        else if (shape.kind === 'truncated') body = content.subarray(0, size === 0 ? 0 : shape.keep % size);
        else if (shape.kind === 'extended') body = Buffer.concat([content, shape.extra]);
        else if (shape.kind === 'flipped') {
          body = Buffer.from(content);
          if (size > 0) body[shape.at % size] ^= 0xff;
        } else body = Buffer.from(shape.bytes);

        const sha256 = which.kind === 'expected' ? expected : which.kind === 'expected-upper' ? expected.toUpperCase() : which.value;
        const requestHeaders: Record<string, string> = { authorization: `Bearer ${server.token}` };
        if (sent.uploadToken !== 'absent')
          requestHeaders['x-upload-token'] = sent.uploadToken === 'right' ? session.uploadToken : `${session.uploadToken}x`;
        if (sent.contentType !== undefined) requestHeaders['content-type'] = sent.contentType;
        if (sent.contentLength === 'declared') requestHeaders['content-length'] = String(body.length);
        else requestHeaders['transfer-encoding'] = 'chunked';

        const answer = await sendRequest(
          `${server.url}/v1/upload-sessions/${session.uploadSessionId}/blobs/${encodeURIComponent(sha256)}`,
          'PUT',
          requestHeaders,
          body,
        );
        expect(answer.status, answer.text).toBeLessThan(500);
        const json = JSON.parse(answer.text) as { error?: string };
        if (answer.status === 200) {
          expect(sha256Of(body)).toBe(expected);
          expect(sha256.toLowerCase()).toBe(expected);
          accepted.add(expected);
        } else {
          expect(Object.keys(ERRORS)).toContain(json.error);
          expect(statusOf(json.error as keyof typeof ERRORS)).toBe(answer.status);
        }
      },
    ),
    { numRuns: 150 },
  );

  expect(runs).toBe(150);
  expect(accepted.size).toBeGreaterThan(5);
  // Staging copies are removed behind the answers, not before them.
  await vi.waitFor(async () => expect(await tmpFiles(server.dataDir)).toEqual([]));
  const stored = await storedBlobFiles(server.dataDir);
  for (const file of stored) {
    expect(file.sha256).toBe(file.name);
    expect(accepted.has(file.name)).toBe(true);
  }
  // Small blobs are kept in SQLite: the same checks on their bytes there.
  const inline = inlineBlobs(server.dataDir);
  for (const blob of inline) {
    expect(sha256Of(blob.bytes)).toBe(blob.sha256);
    expect(accepted.has(blob.sha256)).toBe(true);
  }
  expect(stored.length + inline.length).toBe(accepted.size);
});
