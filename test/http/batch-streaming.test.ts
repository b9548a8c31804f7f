// The batch POST's body over real sockets: cut off, stalled, malformed or split at random points, it never
// leaves a partial blob, never answers 5xx, and keeps the parts that arrived whole before the trouble.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Api, downloadBlob, makeBlob, type CreatedSession, type RawAnswer, type TestBlob } from '../support/api.js';
import { serverTmpFiles } from '../support/fs-store.js';
import {
  bytesReceived,
  multipartBody,
  openBatch,
  partHead,
  postBatch,
  postChunks,
  splitAt,
  type BatchTarget,
  type TestPart,
} from '../support/multipart.js';
import { startServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startServer({ config: { bodyTimeoutSeconds: 1 } });
  api = new Api(server.url, server.token);
});
afterAll(async () => server.stop());

function target(session: CreatedSession): BatchTarget {
  return { url: server.url, token: server.token, session };
}

function partOf(blob: TestBlob, bytes = blob.bytes): TestPart {
  return { name: blob.sha256, bytes, filename: 'f', contentType: 'application/octet-stream' };
}

async function missing(session: CreatedSession): Promise<string[]> {
  return ((await (await api.request('GET', `/v1/upload-sessions/${session.uploadSessionId}`)).json()) as { missing: string[] }).missing;
}

/** Upload temporaries in flight (the S3 store's staging objects are checked by its conformance suite). */
function errorOf(answer: RawAnswer | 'destroyed'): { status: number; error: unknown } {
  if (answer === 'destroyed') throw new Error('the connection closed without an answer');
  return { status: answer.status, error: (JSON.parse(answer.text) as { error: unknown }).error };
}

describe('a batch body that goes wrong midway', () => {
  it('a client that disconnects mid-part leaves nothing partial, and the parts before it are durable', async () => {
    const first = makeBlob('first.txt', `first ${randomBytes(8).toString('hex')}`);
    const second = makeBlob('second.bin', randomBytes(2 * 1024 * 1024));
    const session = await api.createSession([first, second]);
    const { boundary, contentType } = multipartBody([]);
    const before = await bytesReceived(server.url);

    const batch = openBatch(target(session), contentType);
    await batch.write(Buffer.concat([partHead(partOf(first), boundary, true), first.bytes, partHead(partOf(second), boundary, false)]));
    await batch.write(second.bytes.subarray(0, 512 * 1024));
    // The server is storing the second part when the client goes.
    await vi.waitFor(async () => expect(await bytesReceived(server.url)).toBeGreaterThan(before + first.size + 256 * 1024), {
      timeout: 10_000,
    });
    batch.destroy();
    expect(await batch.answer).toBe('destroyed');

    await vi.waitFor(async () => expect(await missing(session)).toEqual([second.sha256]), { timeout: 10_000 });
    expect(await downloadBlob(server.url, server.token, first.sha256)).toEqual({ status: 200, sha256: first.sha256, size: first.size });
    expect(await server.storedBlobs()).not.toContain(second.sha256);
    await vi.waitFor(async () => expect(await serverTmpFiles(server)).toEqual([]), { timeout: 10_000 });
  });

  it('a body that stalls mid-part answers 408 request_timeout after the idle timeout, keeping the whole parts before it', async () => {
    const first = makeBlob('first.txt', `stall ${randomBytes(8).toString('hex')}`);
    const second = makeBlob('second.bin', randomBytes(4096));
    const session = await api.createSession([first, second]);
    const { boundary, contentType } = multipartBody([]);
    const batch = openBatch(target(session), contentType);
    await batch.write(
      Buffer.concat([
        partHead(partOf(first), boundary, true),
        first.bytes,
        partHead(partOf(second), boundary, false),
        second.bytes.subarray(0, 100),
      ]),
    );
    expect(errorOf(await batch.answer)).toEqual({ status: 408, error: 'request_timeout' });
    batch.destroy();
    expect(await missing(session)).toEqual([second.sha256]);
    expect(await serverTmpFiles(server)).toEqual([]);
  });

  it('malformed multipart bodies answer 400 invalid_request, never 5xx; a whole part before the fault stays stored', async () => {
    const blob = makeBlob('kept.txt', `kept ${randomBytes(8).toString('hex')}`);
    const session = await api.createSession([blob]);
    const b = 'malformed-boundary';
    const disposition = `Content-Disposition: form-data; name="${blob.sha256}"`;
    const bodies = [
      'no boundary anywhere in here',
      `--${b}\r\n${disposition}\r\n\r\nends inside the part`,
      `--${b}\r\n${disposition}`,
      `--${b}\r\nthis header has no colon\r\n\r\nx\r\n--${b}--\r\n`,
      `--${b}junk after the boundary\r\n${disposition}\r\n\r\nx\r\n--${b}--\r\n`,
      `--${b}\r\nX-Huge: ${'h'.repeat(20_000)}\r\n\r\nx\r\n--${b}--\r\n`,
      `--${b}`,
      '\r\n\r\n',
    ];
    for (const text of bodies) {
      const answer = await postBatch(target(session), {
        body: Buffer.from(text),
        contentType: `multipart/form-data; boundary=${b}`,
        boundary: b,
      });
      expect({ body: text.slice(0, 60), ...errorOf(answer) }).toEqual({ body: text.slice(0, 60), status: 400, error: 'invalid_request' });
    }
    expect(await missing(session)).toEqual([blob.sha256]);

    const good = multipartBody([partOf(blob)], b).body.subarray(0, -`--${b}--\r\n`.length);
    const cut = Buffer.concat([good, Buffer.from(`--${b}\r\n${disposition}\r\n\r\nand then the body ends`)]);
    expect(
      errorOf(await postBatch(target(session), { body: cut, contentType: `multipart/form-data; boundary=${b}`, boundary: b })),
    ).toEqual({
      status: 400,
      error: 'invalid_request',
    });
    expect(await missing(session)).toEqual([]);
    expect(await serverTmpFiles(server)).toEqual([]);
  });
});

describe('a batch body split at random points', () => {
  const kinds = ['good', 'wrong-digest', 'short', 'not-in-session', 'bad-name'] as const;
  let run = 0;

  it('answers the same results whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ kind: fc.constantFrom(...kinds), bytes: fc.uint8Array({ maxLength: 3000 }) }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat({ max: 20_000 }), { maxLength: 12 }),
        async (specs, offsets) => {
          run += 1;
          // Each run's blobs are new to the tenant, so every good part answers alreadyPresent false.
          const blobs = specs.map((spec, index) =>
            makeBlob(`f${index}.bin`, Buffer.concat([Buffer.from(`run ${run} part ${index} `), spec.bytes])),
          );
          // A session names at least one file: one that this batch does not send.
          const unsent = makeBlob('unsent.txt', `run ${run} unsent`);
          const session = await api.createSession([unsent, ...blobs.filter((_blob, index) => specs[index].kind !== 'not-in-session')]);
          const parts = specs.map((spec, index): TestPart => {
            const blob = blobs[index];
            if (spec.kind === 'wrong-digest') return partOf(blob, Buffer.alloc(blob.size, 0x2a));
            if (spec.kind === 'short') return partOf(blob, blob.bytes.subarray(1));
            if (spec.kind === 'bad-name') return { ...partOf(blob), name: `${blob.sha256}0` };
            return partOf(blob);
          });
          const { body, contentType } = multipartBody(parts);
          const answer = await postChunks(target(session), contentType, splitAt(body, offsets));
          expect(answer.status).toBe(200);
          const results = (JSON.parse(answer.text) as { results: Array<{ status: number; error?: string; alreadyPresent?: boolean }> })
            .results;
          const expected = {
            good: [200, undefined, false],
            'wrong-digest': [400, 'digest_mismatch', undefined],
            short: [400, 'size_mismatch', undefined],
            'not-in-session': [404, 'blob_not_in_session', undefined],
            'bad-name': [400, 'invalid_sha256', undefined],
          };
          expect(results.map((r) => [r.status, r.error, r.alreadyPresent])).toEqual(specs.map((spec) => expected[spec.kind]));
          const stored = new Set(await server.storedBlobs());
          for (const [index, blob] of blobs.entries()) expect(stored.has(blob.sha256)).toBe(specs[index].kind === 'good');
        },
      ),
      { numRuns: 25 },
    );
    expect(await serverTmpFiles(server)).toEqual([]);
  });
});
