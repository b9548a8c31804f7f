// A manifest's label: a name for people (the pushed folder's, by default), shown in lists; never part of its id.
import { AppError } from './errors.js';

export const MAX_LABEL_LENGTH = 200;

/** The label as stored, or null when none was given; invalid_request for one a list could not show. */
export function checkedLabel(label: unknown): string | null {
  if (label === undefined || label === null) return null;
  // Control characters would break the CLI's tab-separated table and the page's one-line rows.
  if (typeof label !== 'string' || label.length < 1 || label.length > MAX_LABEL_LENGTH || withoutControls(label) !== label) {
    throw new AppError('invalid_request', `label must be 1 to ${MAX_LABEL_LENGTH} characters without control characters.`);
  }
  return label;
}

/** The text without C0 and C1 control characters (and DEL). */
export function withoutControls(text: string): string {
  return [...text].filter((char) => !isControl(char.codePointAt(0) ?? 0)).join('');
}

function isControl(code: number): boolean {
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}
