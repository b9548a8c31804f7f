// What a folder push leaves out whatever else it holds: the same rule for `presscloud push` and the page, so both
// build the same manifest from the same folder.

/** Gitignore-syntax rules at the root of the pushed folder. */
export const IGNORE_FILE = '.presscloudignore';
/** Never uploaded, whatever the ignore file says. */
export const ALWAYS_SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set(['.git']);
