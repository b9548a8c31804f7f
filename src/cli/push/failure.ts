// The push's own reading of a failure: a blob that no longer matches its hash means the file changed mid-push.
import { PressCloudApiError } from '../../client/errors.js';
import { CliError, EXIT_FAILURE } from '../cli-error.js';
import { toCliError } from '../transfer-common/failure.js';
import type { FailureContext } from '../transfer-common/failure.js';
import { FileChangedError } from './file-changed.js';
import { BlobUploadError } from './blob-upload-error.js';

export function toPushCliError(err: unknown, context: FailureContext): CliError {
  if (err instanceof BlobUploadError) {
    const cause = err.cause;
    if (cause instanceof FileChangedError) return new CliError(cause.message, EXIT_FAILURE, { cause });
    if (cause instanceof PressCloudApiError && (cause.code === 'size_mismatch' || cause.code === 'digest_mismatch')) {
      return new CliError(`${err.blob.path} changed while it was being pushed; push again`, EXIT_FAILURE, { cause });
    }
  }
  return toCliError(err, context);
}
