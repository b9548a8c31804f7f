// The files a push leaves out, each with the reason that applies, named so a user can find them: bytes of a name
// that are not UTF-8 are shown as \xNN, the form bash's $'…' reads back into the byte.
import { isUtf8 } from 'node:buffer';

export type SkipReason = 'outside' | 'broken' | 'special' | 'refused';

export interface SkippedFile {
  /** The relative path, escaped where it is not UTF-8. */
  readonly path: string;
  readonly reason: SkipReason;
  /** One sentence: why this file is left out. */
  readonly detail: string;
}

export const SKIP_REASONS: Readonly<Record<SkipReason, string>> = {
  outside: 'symlink to a place outside the directory',
  broken: 'broken symlink (its target does not exist)',
  special: 'not a regular file (a fifo, socket or device)',
  refused: 'a name the API refuses',
};

/** A name as a user can type it back: valid UTF-8 as it is (backslashes doubled), any other byte as \xNN. */
export function escapedName(name: Buffer): string {
  let out = '';
  for (let i = 0; i < name.length; ) {
    const length = name[i] < 0x80 ? 1 : name[i] >= 0xf0 ? 4 : name[i] >= 0xe0 ? 3 : 2;
    const sequence = name.subarray(i, i + length);
    if (sequence.length === length && isUtf8(sequence)) {
      out += sequence.toString('utf8').replaceAll('\\', '\\\\');
      i += length;
    } else {
      out += `\\x${name[i].toString(16).padStart(2, '0')}`;
      i += 1;
    }
  }
  return out;
}

/** "left out 3 files (1 symlink to a place outside the directory; 2 broken symlinks …)" for the summary. */
export function describeSkipped(skipped: ReadonlyArray<Pick<SkippedFile, 'reason'>>): string {
  const counts = new Map<SkipReason, number>();
  for (const file of skipped) counts.set(file.reason, (counts.get(file.reason) ?? 0) + 1);
  // In the table's order, whatever order the directory listed them in.
  const reasons = (Object.keys(SKIP_REASONS) as SkipReason[]).filter((reason) => counts.has(reason));
  const parts = reasons.map((reason) => `${counts.get(reason)} ${SKIP_REASONS[reason]}`);
  return `left out ${skipped.length} file${skipped.length === 1 ? '' : 's'} (${parts.join('; ')}); the warnings above name them`;
}
