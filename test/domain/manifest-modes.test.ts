// File modes in the manifest (issue 21): what validation accepts, and the id's two canonical forms. A manifest of
// plain files keeps the id it always had; one with an executable or a symlink gets a versioned form of its own.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { manifestIdOf, validateManifest } from '../../src/domain/manifest.js';
import { symlinkTargetProblem } from '../../src/domain/symlink-target.js';
import { EXAMPLES, INDEX_SHA256, MANIFEST_ID, STYLE_SHA256 } from '../../src/http/examples.js';

const LIMITS = { maxFiles: 50, maxBlobSize: 10_000 };
const TARGET_SHA = createHash('sha256').update('a.txt').digest('hex');

function refusal(files: unknown): string {
  try {
    validateManifest(files, LIMITS);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('invalid_request');
    return (err as AppError).message;
  }
  throw new Error('the manifest was accepted');
}

describe('manifest ids with modes', () => {
  it('keeps the id of a manifest of plain files: the documented example id is unchanged', () => {
    const files = validateManifest(EXAMPLES.createSessionBody.files, LIMITS).files;
    expect(manifestIdOf(files)).toBe(MANIFEST_ID);
    expect(MANIFEST_ID).toBe('039bfdfc82ab2e19156633f39a7c58186b9d4e0aca66656405b3eabc24912607');
  });

  it('treats an explicit "100644" as the plain default: same entries, same id', () => {
    const explicit = EXAMPLES.createSessionBody.files.map((file) => ({ ...file, mode: '100644' }));
    const validated = validateManifest(explicit, LIMITS).files;
    expect(validated.every((file) => !('mode' in file))).toBe(true);
    expect(manifestIdOf(validated)).toBe(MANIFEST_ID);
  });

  it('gives a manifest with an executable a versioned canonical form, and a different id', () => {
    const files = [
      { path: 'index.html', sha256: INDEX_SHA256, size: 50, mime: 'text/html' },
      { path: 'css/style.css', sha256: STYLE_SHA256, size: 15, mode: '100755' as const },
    ];
    const id = manifestIdOf(files);
    expect(id).not.toBe(MANIFEST_ID);
    // docs/API.md's form, written out independently: [2, [path, sha256, size, mime|null, mode]...] by UTF-8 path order.
    const canonical = [2, ['css/style.css', STYLE_SHA256, 15, null, '100755'], ['index.html', INDEX_SHA256, 50, 'text/html', '100644']];
    expect(id).toBe(createHash('sha256').update(JSON.stringify(canonical)).digest('hex'));
  });

  it('tells an executable, a symlink and a plain file apart', () => {
    const base = { path: 'x', sha256: TARGET_SHA, size: 5 };
    const ids = new Set([manifestIdOf([base]), manifestIdOf([{ ...base, mode: '100755' }]), manifestIdOf([{ ...base, mode: '120000' }])]);
    expect(ids.size).toBe(3);
  });

  it('keeps the mode of each entry it accepts', () => {
    const { files } = validateManifest(
      [
        { path: 'run.sh', sha256: TARGET_SHA, size: 5, mode: '100755' },
        { path: 'link', sha256: TARGET_SHA, size: 5, mode: '120000' },
        { path: 'a.txt', sha256: TARGET_SHA, size: 5 },
      ],
      LIMITS,
    );
    expect(files.map((file) => file.mode)).toEqual(['100755', '120000', undefined]);
  });
});

describe('manifest mode validation', () => {
  const entry = { path: 'a', sha256: TARGET_SHA, size: 5 };

  it.each([['100664'], ['755'], [100755], [null], ['040000'], ['160000']])('refuses the mode %j', (mode) => {
    expect(refusal([{ ...entry, mode }])).toMatch(/files\[0\]\.mode must be "100644".*"100755".*"120000"/);
  });

  it('refuses an empty symlink and one longer than a path can be', () => {
    expect(refusal([{ ...entry, size: 0, mode: '120000' }])).toMatch(/files\[0\]\.size of a symlink/);
    expect(refusal([{ ...entry, size: 4096, mode: '120000' }])).toMatch(/1 to 4095 bytes/);
  });

  it('refuses an entry under a path that is a symlink', () => {
    const message = refusal([
      { path: 'docs', sha256: TARGET_SHA, size: 5, mode: '120000' },
      { path: 'docs/readme.md', sha256: TARGET_SHA, size: 5 },
    ]);
    expect(message).toContain('files[1].path "docs/readme.md" lies under "docs", which is a symlink');
  });
});

describe('symlinkTargetProblem: the rule push and pull share', () => {
  const none = new Set<string>();
  it.each([
    ['link', 'a.txt'],
    ['sub/link', '../a.txt'],
    ['sub/deeper/link', '../../a.txt'],
    ['a/up', '..'],
    ['link', './dir/./x'],
  ])('accepts %s -> %s', (link, target) => {
    expect(symlinkTargetProblem(link, target, none)).toBeNull();
  });

  it.each([
    ['link', '../a.txt', /leads outside/],
    ['sub/link', '../../a.txt', /leads outside/],
    ['link', 'x/../../y', /leads outside/],
    ['link', '/etc/passwd', /absolute/],
    ['link', '', /empty/],
  ])('refuses %s -> %s', (link, target, problem) => {
    expect(symlinkTargetProblem(link, target, none)).toMatch(problem);
  });

  it('refuses a `..` that steps back over another link, which the filesystem takes from that link’s target', () => {
    // d -> . makes d/.. the tree's parent on disk, though it reads as the root.
    expect(symlinkTargetProblem('l', 'd/..', new Set(['d', 'l']))).toMatch(/steps back out of "d", another symlink/);
    expect(symlinkTargetProblem('l', 'd/x/..', new Set(['d', 'l']))).toBeNull();
  });
});
