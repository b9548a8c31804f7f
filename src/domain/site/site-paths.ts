// From a request's URL path to a file of the manifest, by API.md's path rules: index.html, the trailing-
// slash redirect, clean URLs, 404.html. `..`, `//`, NUL and backslashes never leave the manifest.
import type { FileEntry } from '../types.js';

/** Files that configure the site and are never served themselves. */
export const RULE_FILES = ['_redirects', '_headers'] as const;
const HIDDEN = new Set<string>(RULE_FILES);
export const NOT_FOUND_PAGE = '404.html';

export type PathResolution =
  | { readonly kind: 'file'; readonly status: 200 | 404; readonly file: FileEntry }
  | { readonly kind: 'redirect'; readonly status: 308; readonly location: string }
  | { readonly kind: 'not_found' };

/**
 * The URL path percent-decoded, or null when it cannot name a file of a manifest: malformed escapes,
 * NUL or other control characters, a backslash, or an empty, "." or ".." segment (a trailing "/" aside).
 */
export function decodeSitePath(rawPath: string): string | null {
  if (!rawPath.startsWith('/')) return null;
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u001f\u007f\\]/.test(path)) return null;
  const segments = path.slice(1).split('/');
  const last = segments.length - 1;
  for (const [i, segment] of segments.entries()) {
    if (segment === '.' || segment === '..') return null;
    if (segment === '' && !(i === last)) return null;
  }
  return path;
}

/** Every path resolve() may look at for this decoded path: one lookup answers them all. */
export function candidatePaths(path: string): string[] {
  const rel = path.slice(1);
  if (rel === '' || rel.endsWith('/')) return [`${rel}index.html`, NOT_FOUND_PAGE];
  return [rel, `${rel}/index.html`, `${rel}.html`, NOT_FOUND_PAGE];
}

/**
 * Decides the answer from the candidate files found. `rewritten`: the path is a `_redirects` 200 target,
 * served without any 308.
 */
export function resolvePath(path: string, found: ReadonlyMap<string, FileEntry>, rewritten: boolean): PathResolution {
  const file = (name: string) => (HIDDEN.has(name) ? undefined : found.get(name));
  const serve = (entry: FileEntry): PathResolution => ({ kind: 'file', status: 200, file: entry });
  const rel = path.slice(1);
  if (rel === '' || rel.endsWith('/')) {
    const index = file(`${rel}index.html`);
    return index ? serve(index) : notFound(found);
  }
  const exact = file(rel);
  if (exact && !rewritten) {
    if (rel === 'index.html' || rel.endsWith('/index.html')) return redirect(`/${rel.slice(0, -'index.html'.length)}`);
    if (rel.endsWith('.html') && !rel.endsWith('/.html')) return redirect(`/${rel.slice(0, -'.html'.length)}`);
  }
  if (exact) return serve(exact);
  const index = file(`${rel}/index.html`);
  if (index) return rewritten ? serve(index) : redirect(`${path}/`);
  const page = file(`${rel}.html`);
  return page ? serve(page) : notFound(found);
}

function notFound(found: ReadonlyMap<string, FileEntry>): PathResolution {
  const page = found.get(NOT_FOUND_PAGE);
  return page ? { kind: 'file', status: 404, file: page } : { kind: 'not_found' };
}

function redirect(path: string): PathResolution {
  return { kind: 'redirect', status: 308, location: encodePath(path) };
}

/** A decoded path as it goes into a Location header: each segment percent-encoded. */
export function encodePath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%40/g, '@').replace(/%3A/g, ':'))
    .join('/');
}
