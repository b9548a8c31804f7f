// X-Request-Id: the client's own when it is sane (API.md: at most 128 visible ASCII characters), else one
// made up here, so a header of 5,000 bytes or with control characters never reaches a log line or an answer.
import { randomUUID } from 'node:crypto';

const SANE_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export function requestIdOf(given: string | string[] | undefined): string {
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}
