// The page names types with mime-types bundled over src/web/path-shim.ts instead of Node's `path`: the shim's
// extname must be Node's, on any path, or the page and `presscloud push` would give different manifest ids.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extname } from '../../src/web/path-shim.js';

const piece = fc.constantFrom('', '.', '..', '...', '/', '//', 'a', 'b.c', '.d', 'e.', 'tar.gz', 'HTML', ' ', '\\', '\u0000', 'é', '😀');

describe('the path shim of the browser page', () => {
  it("is Node's path.posix.extname on any path made of dots, slashes and names", () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join('')),
        (candidate) => extname(candidate) === path.posix.extname(candidate),
      ),
      { numRuns: 5_000 },
    );
  });

  it('answers the cases mime-types relies on', () => {
    // mime-types looks up extname('x.' + path): a bare extension is a type, a dotfile is not.
    expect(extname('x.html')).toBe('.html');
    expect(extname('x.dir/.bashrc')).toBe('');
    expect(extname('x.archive.tar.gz')).toBe('.gz');
    expect(extname('x.noext.')).toBe('.');
    expect(extname('x.a/..')).toBe('');
  });
});
