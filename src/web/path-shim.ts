// Node's `path.extname` (POSIX), ported line for line: mime-types calls it, and the page must name every type
// exactly as `presscloud push` does under Node. test/web/path-shim.test.ts compares the two.

/** The extension of the last path segment, from its last dot; '' for none, for dotfiles and for `..`. */
export function extname(path: string): string {
  let startDot = -1;
  let startPart = 0;
  let end = -1;
  let matchedSlash = true;
  // Before the last dot of the segment: 0 nothing yet, 1 only dots, -1 something else (a real extension).
  let preDotState = 0;
  for (let i = path.length - 1; i >= 0; --i) {
    const char = path[i];
    if (char === '/') {
      // A slash ends the last segment, unless it is one of the trailing slashes.
      if (!matchedSlash) {
        startPart = i + 1;
        break;
      }
      continue;
    }
    if (end === -1) {
      matchedSlash = false;
      end = i + 1;
    }
    if (char === '.') {
      if (startDot === -1) startDot = i;
      else if (preDotState !== 1) preDotState = 1;
    } else if (startDot !== -1) {
      preDotState = -1;
    }
  }
  if (startDot === -1 || end === -1 || preDotState === 0 || (preDotState === 1 && startDot === end - 1 && startDot === startPart + 1)) {
    return '';
  }
  return path.slice(startDot, end);
}
