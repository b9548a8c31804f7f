// What a folder push leaves out whatever else it holds: the same rule for `presscloud push` and the page, so both
// build the same manifest from the same folder. Plain ECMAScript: the page bundles it.
import { pathProblem } from './path-rule.js';

/** Gitignore-syntax rules at the root of the pushed folder. */
export const IGNORE_FILE = '.presscloudignore';
/** Never uploaded, whatever the ignore file says. */
export const ALWAYS_SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set(['.git']);

/**
 * A file the API would refuse, as `presscloud push` and the page both report it: the path quoted as JSON (a control
 * character or a backslash is then visible) and why; null when the path is fine. The shared path rule decides.
 */
export function refusedPath(path: string): { readonly path: string; readonly detail: string } | null {
  const problem = pathProblem(path);
  return problem === null ? null : { path: JSON.stringify(path), detail: `the API refuses this path: it ${problem}` };
}
