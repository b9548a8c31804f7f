// Turns whatever stopped a transfer into the one line the user reads and the exit code the CLI ends with.
import { PressCloudApiError, PressCloudNetworkError, isTlsMismatch } from '../../client/errors.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../cli-error.js';
import { DEFAULT_RETRY_WINDOW_SECONDS } from './constants.js';
import { isRetryable } from '../../client/upload/retry.js';

export interface FailureContext {
  url: string;
  /** The `--retries` cap, when one was set. */
  attempts?: number;
  /** The `--retry-window`, in seconds. */
  retryWindowSeconds?: number;
}

/** A failure about one file of the transfer: its message names the file, its cause says what went wrong. */
export class FileTransferError extends Error {
  constructor(
    message: string,
    readonly path: string,
    cause: unknown,
  ) {
    super(message, { cause });
    this.name = 'FileTransferError';
  }
}

export function toCliError(err: unknown, context: FailureContext): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof FileTransferError) {
    const inner = toCliError(err.cause, context);
    return new CliError(`${err.message}: ${inner.message}`, inner.exitCode, { cause: err.cause });
  }
  const gaveUp = isRetryable(err) ? ` (${gaveUpAfter(context)})` : '';
  if (err instanceof PressCloudApiError) {
    const answer = `${err.status} ${err.code}: ${err.message}`;
    if (err.status === 401) return new CliError(`the server did not accept the token (${answer})`, EXIT_USAGE, { cause: err });
    if (err.code === 'forbidden') return new CliError(`the token is not allowed to do this (${answer})`, EXIT_USAGE, { cause: err });
    return new CliError(`the server answered ${answer}${gaveUp}`, EXIT_FAILURE, { cause: err });
  }
  if (err instanceof PressCloudNetworkError && isTlsMismatch(err) && context.url.startsWith('https:')) {
    const at = new URL(context.url).href;
    return new CliError(`the server does not speak TLS at ${at}; try ${at.replace(/^https:/, 'http:')}`, EXIT_FAILURE, { cause: err });
  }
  if (err instanceof PressCloudNetworkError) {
    return new CliError(`cannot reach ${context.url}: ${err.message}${gaveUp}`, EXIT_FAILURE, { cause: err });
  }
  return new CliError(err instanceof Error ? err.message : String(err), EXIT_FAILURE, { cause: err });
}

function gaveUpAfter(context: FailureContext): string {
  if (context.attempts !== undefined) return `gave up after ${context.attempts} attempts`;
  return `gave up after retrying for ${context.retryWindowSeconds ?? DEFAULT_RETRY_WINDOW_SECONDS} s`;
}
