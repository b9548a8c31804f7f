// Property-based tests of the manifest rules: whatever a client sends as `files`, validation either
// accepts a manifest that keeps every rule of API.md or refuses it with invalid_request, and nothing else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { validateManifest } from '../../src/domain/manifest.js';
import { pathProblem } from '../../src/domain/path-rule.js';

const LIMITS = { maxFiles: 50, maxBlobSize: 10_000 };

/** API.md's path rules, written out again independently of manifest.ts. */
function pathFollowsTheRules(path: string): boolean {
  if (!path.isWellFormed()) return false;
  const bytes = Buffer.byteLength(path, 'utf8');
  if (bytes < 1 || bytes > 1024) return false;
  if (path.startsWith('/') || path.includes('\\')) return false;
  for (const char of path) {
    const code = char.codePointAt(0) ?? 0;
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return false;
  }
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

const awkwardPieces = [
  '',
  '.',
  '..',
  '/',
  '\\',
  '\u0000',
  '\n',
  '\u007f',
  '\u0085',
  '\uD800',
  '\uDC00',
  'é',
  '😀',
  ' ',
  'a',
  'index.html',
  '%2e%2e',
];
const segment = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(...awkwardPieces),
  fc.string({ unit: fc.constantFrom(...awkwardPieces), maxLength: 6 }),
);
const path = fc.oneof(
  fc.array(segment, { minLength: 1, maxLength: 6 }).map((segments) => segments.join('/')),
  fc.string({ unit: 'binary', maxLength: 40 }),
  // Around the 1024-byte limit, in one-byte and multi-byte characters.
  fc
    .tuple(fc.integer({ min: 1015, max: 1030 }), fc.constantFrom('a', 'é', '😀'))
    .map(([length, char]) => char.repeat(Math.ceil(length / Buffer.byteLength(char)))),
);
const hex = '0123456789abcdefABCDEF';
const sha256 = fc.oneof(
  fc.string({ unit: fc.constantFrom(...hex), minLength: 64, maxLength: 64 }),
  fc.string({ unit: fc.constantFrom(...hex), minLength: 60, maxLength: 68 }),
  fc.string({ maxLength: 70 }),
  fc.anything(),
);
const size = fc.oneof(
  fc.integer({ min: -5, max: LIMITS.maxBlobSize + 5 }),
  fc.double(),
  fc.constantFrom(2 ** 53, -0, '12', null),
  fc.anything(),
);
const mime = fc.option(
  fc.oneof(fc.constantFrom('text/html', 'application/json; charset=utf-8', 'image/png', 'bad', '/x', 'a/b c'), fc.string(), fc.anything()),
  { nil: undefined },
);
const entry = fc.oneof(
  { weight: 8, arbitrary: fc.record({ path, sha256, size, mime }, { requiredKeys: ['path', 'sha256', 'size'] }) },
  { weight: 1, arbitrary: fc.anything() },
);
/** Entries that are mostly valid, so that acceptance (and the rules it must keep) is exercised often. */
const plausibleSegment = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).map((s) => s.replaceAll('/', '_'));
const plausibleEntry = fc.record(
  {
    path: fc.array(plausibleSegment, { minLength: 1, maxLength: 4 }).map((segments) => segments.join('/')),
    sha256: fc.string({ unit: fc.constantFrom(...hex), minLength: 64, maxLength: 64 }),
    size: fc.integer({ min: 0, max: LIMITS.maxBlobSize }),
    mime: fc.option(fc.constantFrom('text/html', 'application/json; charset=utf-8', 'image/png'), { nil: undefined }),
  },
  { requiredKeys: ['path', 'sha256', 'size'] },
);
const files = fc.oneof(
  fc.array(entry, { maxLength: LIMITS.maxFiles + 2 }),
  fc.array(plausibleEntry, { minLength: 1, maxLength: LIMITS.maxFiles + 1 }),
  // Several paths sharing one sha256, with the same or another size, as real sites do.
  fc
    .tuple(
      fc.array(plausibleEntry, { minLength: 1, maxLength: 8 }),
      fc.string({ unit: fc.constantFrom(...hex), minLength: 64, maxLength: 64 }),
      fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 8, maxLength: 8 }),
    )
    .map(([entries, shared, sizes]) =>
      entries.map((e, i) => ({ ...e, sha256: i % 2 === 0 ? shared : e.sha256, size: i % 2 === 0 ? sizes[i] : e.size })),
    ),
  fc.anything(),
);

describe('pathProblem', () => {
  it('accepts exactly the paths that follow the rules', () => {
    fc.assert(
      fc.property(path, (candidate) => {
        expect(pathProblem(candidate) === null).toBe(pathFollowsTheRules(candidate));
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses anything that is not a string', () => {
    fc.assert(
      fc.property(
        fc.anything().filter((v) => typeof v !== 'string'),
        (value) => {
          expect(pathProblem(value)).not.toBeNull();
        },
      ),
    );
  });
});

describe('validateManifest', () => {
  it('never throws anything but invalid_request, and what it accepts keeps every rule', () => {
    fc.assert(
      fc.property(files, (input) => {
        let manifest: ReturnType<typeof validateManifest>;
        try {
          manifest = validateManifest(input, LIMITS);
        } catch (err) {
          expect(err).toBeInstanceOf(AppError);
          expect((err as AppError).code).toBe('invalid_request');
          expect((err as AppError).message).toMatch(/^files/);
          return;
        }
        const entries = input as Array<{ path: string; sha256: string; size: number }>;
        expect(manifest.files).toHaveLength(entries.length);
        expect(entries.length).toBeGreaterThanOrEqual(1);
        expect(entries.length).toBeLessThanOrEqual(LIMITS.maxFiles);
        expect(new Set(manifest.files.map((f) => f.path)).size).toBe(manifest.files.length);
        const sizes = new Map<string, number>();
        for (const file of manifest.files) {
          expect(pathFollowsTheRules(file.path)).toBe(true);
          expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
          expect(Number.isSafeInteger(file.size) && file.size >= 0 && file.size <= LIMITS.maxBlobSize).toBe(true);
          expect(sizes.get(file.sha256) ?? file.size).toBe(file.size);
          sizes.set(file.sha256, file.size);
        }
        expect(manifest.blobs.map((b) => b.sha256)).toEqual([...sizes.keys()]);
        expect(manifest.totalBytes).toBe([...sizes.values()].reduce((sum, s) => sum + s, 0));
      }),
      { numRuns: 2000 },
    );
  });
});
