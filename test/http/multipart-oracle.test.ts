// The batch route's multipart reader (src/http/multipart.ts) fuzzed against busboy as an oracle: generated
// bodies (odd boundaries, bodies full of near-delimiters, header variations, duplicated Content-Disposition,
// bad header characters, truncation) fed in random chunks to both; both must refuse, or both yield the same
// parts, name for name and byte for byte. The generator knows nothing of the reader's framing code.
import busboy from 'busboy';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MultipartReader, multipartBoundary } from '../../src/http/multipart.js';

type Outcome = { ok: true; parts: Array<[string | undefined, string]> } | { ok: false };

const BOUNDARY_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?".split('');
const HEADER_NAME_CHARS = 'abcdefghijklmnopqrstuvwxyz-ABCXYZ0123456789!#$%&*+.^_`|~'.split('');

interface GeneratedPart {
  name: string;
  bytes: Uint8Array;
  headers: string[];
}

/** Header lines of a part: its Content-Disposition, maybe extra headers, a second disposition, a bad character. */
function partArbitrary(boundary: string): fc.Arbitrary<GeneratedPart> {
  const nearDelimiter = fc.nat({ max: boundary.length + 3 }).map((cut) => Buffer.from(`\r\n--${boundary}`.slice(0, cut), 'latin1'));
  const bodyPiece = fc.oneof(fc.uint8Array({ maxLength: 40 }), nearDelimiter, fc.constantFrom(Buffer.from('\r\n'), Buffer.from('--')));
  return fc
    .record({
      name: fc.oneof(
        fc.string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), minLength: 1, maxLength: 64 }),
        fc.string({ unit: fc.constantFrom('a', ' ', ';', '=', '-', 'é'), minLength: 1, maxLength: 8 }),
      ),
      pieces: fc.array(bodyPiece, { maxLength: 6 }),
      dispositionName: fc.constantFrom('Content-Disposition', 'content-disposition', 'CONTENT-DISPOSITION'),
      spaceAfterColon: fc.constantFrom('', ' ', '  ', '\t'),
      extra: fc.array(
        fc.tuple(fc.string({ unit: fc.constantFrom(...HEADER_NAME_CHARS), minLength: 1, maxLength: 10 }), fc.string({ maxLength: 12 })),
        { maxLength: 2 },
      ),
      secondDisposition: fc.option(fc.constantFrom('before', 'after'), { nil: undefined }),
      badCharacter: fc.option(fc.constantFrom('\x01', '\x7f', ' ', '\0', '\x0b'), { freq: 4, nil: undefined }),
      badInName: fc.boolean(),
      folded: fc.boolean(),
    })
    .map((spec) => {
      const quoted = spec.name.replace(/["\\]/g, '\\$&');
      // An obs-fold: the disposition's parameters continued on a line of their own.
      const fold = spec.folded ? '\r\n ' : ' ';
      const disposition = `${spec.dispositionName}:${spec.spaceAfterColon}form-data;${fold}name="${quoted}"; filename="blob"`;
      const other = 'Content-Disposition: form-data; name="other"; filename="blob"';
      const headers = [disposition, ...spec.extra.map(([name, value]) => `${name}: ${value.replace(/[\r\n]/g, '')}`)];
      if (spec.secondDisposition === 'after') headers.push(other);
      if (spec.secondDisposition === 'before') headers.unshift(other);
      if (spec.badCharacter !== undefined) {
        const line = headers.length - 1;
        headers[line] = spec.badInName ? `X${spec.badCharacter}Y: 1` : `${headers[line]}${spec.badCharacter}z`;
      }
      return { name: spec.name, bytes: Buffer.concat(spec.pieces.map((piece) => Buffer.from(piece))), headers };
    });
}

const bodyArbitrary = fc
  .string({ unit: fc.constantFrom(...BOUNDARY_CHARS), minLength: 1, maxLength: 70 })
  .chain((boundary) =>
    fc.record({
      boundary: fc.constant(boundary),
      parts: fc.array(partArbitrary(boundary), { minLength: 1, maxLength: 4 }),
      preamble: fc.constantFrom('', 'preamble text\r\n', '\r\n'),
      epilogue: fc.constantFrom('', 'epilogue', '\r\n\r\n'),
      truncateAt: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { freq: 5, nil: undefined }),
      cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
    }),
  )
  // A body may not hold its own delimiter: RFC 2046 asks the sender to choose a boundary that does not occur.
  .filter(({ boundary, parts }) => parts.every((part) => !Buffer.from(part.bytes).includes(Buffer.from(`\r\n--${boundary}`, 'latin1'))));

function encode(spec: { boundary: string; parts: GeneratedPart[]; preamble: string; epilogue: string; truncateAt?: number }): Buffer {
  const pieces: Buffer[] = [Buffer.from(spec.preamble, 'latin1')];
  for (const [index, part] of spec.parts.entries()) {
    const head = `${index === 0 ? '' : '\r\n'}--${spec.boundary}\r\n${part.headers.join('\r\n')}\r\n\r\n`;
    pieces.push(Buffer.from(head, 'latin1'), Buffer.from(part.bytes));
  }
  pieces.push(Buffer.from(`\r\n--${spec.boundary}--${spec.epilogue}`, 'latin1'));
  const body = Buffer.concat(pieces);
  // An empty body is a batch of no parts to the reader (API.md) and an error to busboy: cut at one byte at least.
  return spec.truncateAt === undefined ? body : body.subarray(0, Math.max(1, Math.floor(spec.truncateAt * body.length)));
}

function chunked(body: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => Math.floor(cut * body.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of [...points, body.length]) {
    if (point > from) chunks.push(body.subarray(from, point));
    from = Math.max(from, point);
  }
  return chunks;
}

/** Quoted: a boundary may hold characters (`/`, `:`, `=`, `?`) that a bare parameter value may not. */
const contentTypeOf = (boundary: string) => `multipart/form-data; boundary="${boundary}"`;

function viaBusboy(boundary: string, chunks: readonly Buffer[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const parts: Array<[string | undefined, string]> = [];
    const files: Array<Promise<void>> = [];
    const parser = busboy({
      headers: { 'content-type': contentTypeOf(boundary) },
      defParamCharset: 'latin1',
      limits: { fieldSize: Number.POSITIVE_INFINITY, fileSize: Number.POSITIVE_INFINITY },
    });
    let failed = false;
    parser.on('file', (name, stream) => {
      const collected: Buffer[] = [];
      const entry: [string | undefined, string] = [name, ''];
      parts.push(entry);
      files.push(
        new Promise((done) => {
          stream.on('data', (chunk: Buffer) => collected.push(chunk));
          stream.on('end', () => {
            entry[1] = Buffer.concat(collected).toString('hex');
            done();
          });
          stream.on('error', () => {
            failed = true;
            done();
          });
        }),
      );
    });
    parser.on('error', () => {
      failed = true;
      resolve({ ok: false });
    });
    parser.on('close', () => void Promise.all(files).then(() => resolve(failed ? { ok: false } : { ok: true, parts })));
    for (const chunk of chunks) parser.write(chunk);
    parser.end();
  });
}

async function viaReader(boundary: string, chunks: readonly Buffer[]): Promise<Outcome> {
  async function* source(): AsyncGenerator<Buffer> {
    yield* chunks;
  }
  const parts: Array<[string | undefined, string]> = [];
  try {
    for await (const part of new MultipartReader(source(), multipartBoundary(contentTypeOf(boundary)), { maxParts: 1000 })) {
      const collected: Buffer[] = [];
      for await (const chunk of part.body) collected.push(chunk);
      // busboy skips a part whose Content-Disposition it cannot read; the reader yields it without a name (the
      // batch route answers it as a failed part). Every generated part has a name, so a part without one is such a part.
      if (part.name !== undefined) parts.push([part.name, Buffer.concat(collected).toString('hex')]);
    }
    return { ok: true, parts };
  } catch {
    return { ok: false };
  }
}

describe('the multipart reader against busboy', () => {
  it('refuses what busboy refuses and yields what busboy yields, name for name and byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(bodyArbitrary, async (spec) => {
        const chunks = chunked(encode(spec), spec.cuts);
        const [ours, oracle] = await Promise.all([viaReader(spec.boundary, chunks), viaBusboy(spec.boundary, chunks)]);
        expect(ours).toEqual(oracle);
      }),
      { numRuns: Number(process.env.ORACLE_RUNS ?? 300) },
    );
  });
});
