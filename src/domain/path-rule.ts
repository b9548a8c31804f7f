// The one rule for a manifest path, shared by the server (session creation), the CLI's walk and the browser page,
// so neither client ever offers a name the server would refuse. Plain ECMAScript: the page bundles it.

/** The API's limit on a path, in bytes of UTF-8. */
export const MAX_PATH_BYTES = 1024;
// C0, DEL and C1: none of them belongs in a file name a browser or a shell shows safely.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this rule's job
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
/** A surrogate without its pair has no UTF-8 form (String.prototype.isWellFormed, which older browsers lack). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UTF8 = new TextEncoder();

/** Why a path is refused, or null when it is a valid relative POSIX path. */
export function pathProblem(path: unknown): string | null {
  if (typeof path !== 'string') return 'must be a string';
  if (path.length === 0) return 'must not be empty';
  if (LONE_SURROGATE.test(path)) return 'must be valid UTF-8';
  if (UTF8.encode(path).length > MAX_PATH_BYTES) return `must be at most ${MAX_PATH_BYTES} bytes of UTF-8`;
  if (CONTROL_CHARACTERS.test(path)) return 'must not contain control characters';
  if (path.includes('\\')) return 'must not contain a backslash';
  if (path.startsWith('/')) return 'must be relative (no leading "/")';
  for (const segment of path.split('/')) {
    if (segment === '') return 'must not contain an empty segment';
    if (segment === '.' || segment === '..') return `must not contain a "${segment}" segment`;
  }
  return null;
}
