// The site path rules and rule files against hostile input: no decoded path a site serves can climb out of
// the manifest, and malformed `_redirects` / `_headers` lines are skipped with a warning naming their line.
import { describe, expect, it } from 'vitest';
import { candidatePaths, decodeSitePath, resolvePath } from '../../src/domain/site/site-paths.js';
import { headersFor, matchRedirect, parseHeaders, parseRedirects } from '../../src/domain/site/site-rules.js';
import type { FileEntry } from '../../src/domain/types.js';

const PIECES = ['/', '.', '..', '%2e', '%2E', '%2f', '%2F', '%00', '\\', '%5c', '%', 'a', 'index.html', '%25', '//', '%zz'];

/** A fixed-seed generator, so a failure names a path that fails again. */
function* hostilePaths(count: number): Generator<string> {
  let state = 20261205;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state;
  };
  for (let i = 0; i < count; i++) {
    let path = '/';
    for (let n = next() % 8; n >= 0; n--) path += PIECES[next() % PIECES.length];
    yield path;
  }
}

describe('decodeSitePath', () => {
  it('refuses .., //, NUL, backslashes and bad escapes in any spelling', () => {
    for (const path of [
      '/..',
      '/a/../b',
      '/%2e%2e/x',
      '/%2E%2e',
      '/a/%2e%2e%2fb',
      '//a',
      '/a//b',
      '/%00',
      '/a%5cb',
      '/a\\b',
      '/%zz',
      '/./a',
      '/a/.',
    ]) {
      expect(decodeSitePath(path), path).toBeNull();
    }
    expect(decodeSitePath('/docs/')).toBe('/docs/');
    expect(decodeSitePath('/caf%C3%A9%20menu')).toBe('/café menu');
  });

  it('never yields a path that leaves the manifest, over 5,000 generated paths', () => {
    for (const raw of hostilePaths(5000)) {
      const path = decodeSitePath(raw);
      if (path === null) continue;
      const segments = path.slice(1).split('/');
      expect(
        segments.slice(0, -1).every((segment) => segment !== '' && segment !== '.' && segment !== '..'),
        raw,
      ).toBe(true);
      expect(['.', '..']).not.toContain(segments.at(-1));
      expect(path.includes('\\') || path.includes('\0'), raw).toBe(false);
      for (const candidate of candidatePaths(path)) expect(candidate.startsWith('/'), raw).toBe(false);
    }
  });

  it('resolves only to files of the manifest, and never serves _redirects or _headers', () => {
    const file = (path: string): FileEntry => ({ path, sha256: 'a'.repeat(64), size: 1 });
    const found = new Map(['_redirects', '_headers', 'a.html'].map((path) => [path, file(path)]));
    expect(resolvePath('/_redirects', found, false)).toEqual({ kind: 'not_found' });
    expect(resolvePath('/_headers', found, true)).toEqual({ kind: 'not_found' });
    expect(resolvePath('/a', found, false)).toMatchObject({ kind: 'file', file: { path: 'a.html' } });
  });
});

describe('rule files', () => {
  it('skip malformed _redirects lines with a warning naming each', () => {
    const { rules, warnings } = parseRedirects(
      ['/a /b', '/c', '/d /e 418', 'relative /x', '/f relative', '/g https://example.com/ 200', '/h/*/* /i 302', '/ok /fine 307'].join(
        '\n',
      ),
    );
    expect(warnings.map((w) => w.line)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(rules).toHaveLength(2);
    expect(matchRedirect(rules, '/ok')).toEqual({ status: 307, to: '/fine' });
    expect(matchRedirect(rules, '/a')).toEqual({ status: 301, to: '/b' });
  });

  it('skip malformed _headers lines, and protected headers, with a warning naming each', () => {
    const { rules, warnings } = parseHeaders(
      ['  X-Orphan: 1', '/*', '  X-A: 1', '  not a header', '  ETag: "x"', '  ! Content-Encoding', '/p/:id', '  X-Id: :id'].join('\n'),
    );
    expect(warnings.map((w) => w.line)).toEqual([1, 4, 5, 6]);
    expect(Object.fromEntries(headersFor(rules, '/p/42').set)).toEqual({ 'x-a': '1', 'x-id': '42' });
  });
});
