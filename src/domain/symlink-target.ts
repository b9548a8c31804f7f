// Whether a manifest's symlink stays inside the tree: the rule push applies before listing a link and pull applies
// before creating one, so a pushed tree never comes back with a link that leaves its directory.

/**
 * Why the symlink at `linkPath` (a manifest path) with target `target` could lead outside the tree, or null when it
 * cannot. The target is read as a relative POSIX path from the link's directory: absolute targets are refused, and
 * each `..` may only step back over a directory, never over another symlink of the tree (`links`), since `..` after
 * a symlink is taken from the symlink's target (`d -> .` then `d/..` is the tree's parent).
 */
export function symlinkTargetProblem(linkPath: string, target: string, links: ReadonlySet<string>): string | null {
  if (target === '') return 'its target is empty';
  if (target.startsWith('/')) return 'its target is an absolute path';
  if (target.includes('\0')) return 'its target contains a NUL byte';
  const stack = linkPath.split('/').slice(0, -1);
  for (const segment of target.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment !== '..') {
      stack.push(segment);
      continue;
    }
    if (stack.length === 0) return 'its target leads outside the directory';
    if (links.has(stack.join('/'))) return `its target steps back out of ${JSON.stringify(stack.join('/'))}, another symlink`;
    stack.pop();
  }
  return null;
}
