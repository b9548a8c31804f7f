// Turns whatever stopped a push into the one line the user reads and the exit code the CLI ends with.
import { PressCloudApiError, PressCloudNetworkError } from '../../client/errors.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../cli-error.js';
import { isRetryable } from './retry.js';
import { FileChangedError } from './file-changed.js';
import { BlobUploadError } from './uploader.js';

export function toCliError(err: unknown, context: { url: string; attempts: number }): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof BlobUploadError) {
    const inner = toCliError(err.cause, context);
    const cause = err.cause;
    if (cause instanceof FileChangedError) return new CliError(cause.message, EXIT_FAILURE, { cause });
    if (cause instanceof PressCloudApiError && (cause.code === 'size_mismatch' || cause.code === 'digest_mismatch')) {
      return new CliError(`${err.blob.path} changed while it was being pushed; push again`, EXIT_FAILURE, { cause });
    }
    return new CliError(`${err.message}: ${inner.message}`, inner.exitCode, { cause });
  }
  const gaveUp = isRetryable(err) ? ` (gave up after ${context.attempts} attempts)` : '';
  if (err instanceof PressCloudApiError) {
    const answer = `${err.status} ${err.code}: ${err.message}`;
    if (err.status === 401) return new CliError(`the server did not accept the token (${answer})`, EXIT_USAGE, { cause: err });
    if (err.code === 'forbidden') return new CliError(`the token is not allowed to do this (${answer})`, EXIT_USAGE, { cause: err });
    return new CliError(`the server answered ${answer}${gaveUp}`, EXIT_FAILURE, { cause: err });
  }
  if (err instanceof PressCloudNetworkError) {
    return new CliError(`cannot reach ${context.url}: ${err.message}${gaveUp}`, EXIT_FAILURE, { cause: err });
  }
  return new CliError(err instanceof Error ? err.message : String(err), EXIT_FAILURE, { cause: err });
}
