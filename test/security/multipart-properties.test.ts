// Property-based tests of the batch's multipart reader: however a body is cut into chunks it reads the same
// parts and bytes, and any malformed or truncated body ends in 400 invalid_request, never another error or a hang.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { MultipartReader, multipartBoundary } from '../../src/http/multipart.js';
import { multipartBody, splitAt, type TestPart } from '../support/multipart.js';

const BOUNDARY = 'xYz--boundary';

/** Bytes that like to look like the start of a delimiter. */
const tricky = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
  fc
    .constantFrom(
      '\r',
      '\n',
      '\r\n',
      '\r\n-',
      '\r\n--',
      `\r\n--${BOUNDARY.slice(0, 5)}`,
      `\r\n--${BOUNDARY.slice(0, -1)}`,
      '--',
      `--${BOUNDARY}`,
    )
    .map((text) => Buffer.from(text)),
);
const partBytes = fc.array(tricky, { maxLength: 8 }).map((pieces) => Buffer.concat(pieces));
/** A part's bytes never hold the delimiter itself (RFC 2046: the sender picks a boundary that does not occur). */
const part: fc.Arbitrary<TestPart> = fc.record({
  name: fc.option(fc.string({ unit: fc.constantFrom(...'0123456789abcdefXYZ-'), maxLength: 70 }), { nil: undefined }),
  bytes: partBytes.filter((bytes) => !bytes.includes(`\r\n--${BOUNDARY}`)),
  filename: fc.option(fc.constantFrom('a.txt', 'blob', 'x y.bin'), { nil: undefined }),
  contentType: fc.option(fc.constantFrom('application/octet-stream', 'text/plain; charset=utf-8', 'image/png'), { nil: undefined }),
});
const cuts = fc.array(fc.nat({ max: 4000 }), { maxLength: 30 });

async function* chunksOf(chunks: readonly Buffer[]): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield Buffer.from(chunk);
}

/** Every part as the reader hands it over; a test-side consumer that reads only part of some bodies. */
async function readAll(
  chunks: readonly Buffer[],
  options: { readFirstChunkOnly?: number } = {},
): Promise<Array<{ name: string | undefined; bytes: Buffer }>> {
  const parts: Array<{ name: string | undefined; bytes: Buffer }> = [];
  for await (const { name, body } of new MultipartReader(chunksOf(chunks), BOUNDARY, { maxParts: 1000 })) {
    const bytes: Buffer[] = [];
    for await (const chunk of body) {
      bytes.push(chunk);
      if (parts.length === options.readFirstChunkOnly) break;
    }
    parts.push({ name, bytes: Buffer.concat(bytes) });
  }
  return parts;
}

async function outcome(chunks: readonly Buffer[]): Promise<string> {
  try {
    await readAll(chunks);
    return 'ok';
  } catch (err) {
    return err instanceof AppError ? err.code : `unexpected: ${String(err)}`;
  }
}

describe('MultipartReader', () => {
  it('reads the same names and bytes however the body is cut into chunks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(part, { maxLength: 6 }), cuts, async (parts, offsets) => {
        const { body } = multipartBody(parts, BOUNDARY);
        const read = await readAll(splitAt(body, offsets));
        expect(read.map((p) => p.name)).toEqual(parts.map((p) => p.name));
        expect(read.map((p) => p.bytes.toString('hex'))).toEqual(parts.map((p) => p.bytes.toString('hex')));
      }),
      { numRuns: 1500 },
    );
  });

  it('skips what a consumer leaves unread and still reads the next part whole', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(part, { minLength: 2, maxLength: 5 }), cuts, fc.nat({ max: 3 }), async (parts, offsets, abandoned) => {
        const { body } = multipartBody(parts, BOUNDARY);
        const read = await readAll(splitAt(body, offsets), { readFirstChunkOnly: abandoned });
        expect(read.map((p) => p.name)).toEqual(parts.map((p) => p.name));
        read.forEach((p, index) => {
          if (index !== abandoned) expect(p.bytes.equals(parts[index].bytes)).toBe(true);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('answers invalid_request for every truncation of a body before its closing boundary', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(part, { minLength: 1, maxLength: 4 }), fc.nat(), cuts, async (parts, at, offsets) => {
        const { body } = multipartBody(parts, BOUNDARY);
        const closing = body.lastIndexOf(`--${BOUNDARY}--`) + BOUNDARY.length + 4;
        const truncated = body.subarray(0, 1 + (at % (closing - 1)));
        expect(await outcome(splitAt(truncated, offsets))).toBe('invalid_request');
      }),
      { numRuns: 1000 },
    );
  });

  it('reads arbitrary bytes as parts or refuses them with invalid_request, nothing else', async () => {
    const garbage = fc.array(
      fc.oneof(
        tricky,
        fc.constantFrom('Content-Disposition: form-data; name="a"', '\r\n\r\n', `--${BOUNDARY}--`).map((t) => Buffer.from(t)),
      ),
      { maxLength: 12 },
    );
    await fc.assert(
      fc.asyncProperty(garbage, cuts, async (pieces, offsets) => {
        const result = await outcome(splitAt(Buffer.concat(pieces), offsets));
        expect(['ok', 'invalid_request']).toContain(result);
      }),
      { numRuns: 1500 },
    );
  });

  it('reads an empty body as no parts, and counts parts against the limit', async () => {
    expect(await readAll([])).toEqual([]);
    const three = multipartBody(
      [1, 2, 3].map((n) => ({ name: `p${n}`, bytes: Buffer.from([n]) })),
      BOUNDARY,
    ).body;
    const reader = new MultipartReader(chunksOf([three]), BOUNDARY, { maxParts: 2 });
    const names: Array<string | undefined> = [];
    await expect(
      (async () => {
        for await (const { name } of reader) names.push(name);
      })(),
    ).rejects.toMatchObject({ code: 'payload_too_large' });
    expect(names).toEqual(['p1', 'p2']);
    expect(reader.failure).toMatchObject({ code: 'payload_too_large' });
  });

  it('takes the boundary from the Content-Type, quoted or not, and refuses other types', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(multipartBoundary('Multipart/Form-Data ; charset=utf-8; BOUNDARY="a b:c"')).toBe('a b:c');
    expect(() => multipartBoundary(undefined)).toThrow(expect.objectContaining({ code: 'unsupported_content_type' }));
    expect(() => multipartBoundary('multipart/mixed; boundary=abc')).toThrow(expect.objectContaining({ code: 'unsupported_content_type' }));
    expect(() => multipartBoundary('multipart/form-data; boundary="ends with space "')).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });
});
