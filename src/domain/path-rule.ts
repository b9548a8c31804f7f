// The one rule for a manifest path, shared by the server (session creation) and the CLI's walk, so a push
// never offers a name the server would refuse.

/** The API's limit on a path, in bytes of UTF-8. */
export const MAX_PATH_BYTES = 1024;
// C0, DEL and C1: none of them belongs in a file name a browser or a shell shows safely.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** Why a path is refused, or null when it is a valid relative POSIX path. */
export function pathProblem(path: unknown): string | null {
  if (typeof path !== 'string') return 'must be a string';
  if (path.length === 0) return 'must not be empty';
  if (!path.isWellFormed()) return 'must be valid UTF-8';
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) return `must be at most ${MAX_PATH_BYTES} bytes of UTF-8`;
  if (CONTROL_CHARACTERS.test(path)) return 'must not contain control characters';
  if (path.includes('\\')) return 'must not contain a backslash';
  if (path.startsWith('/')) return 'must be relative (no leading "/")';
  for (const segment of path.split('/')) {
    if (segment === '') return 'must not contain an empty segment';
    if (segment === '.' || segment === '..') return `must not contain a "${segment}" segment`;
  }
  return null;
}
