// A failure that stopped the upload of a blob (or of a batch, named by its first blob), with its cause.
import { FileTransferError } from '../transfer-common/failure.js';
import type { LocalBlob } from './local-manifest.js';

export class BlobUploadError extends FileTransferError {
  constructor(
    readonly blob: LocalBlob,
    cause: unknown,
    what = `uploading ${blob.path}`,
  ) {
    super(what, blob.path, cause);
    this.name = 'BlobUploadError';
  }

  /** A batch's own request failed: the message names the batch by its first blob. */
  static ofBatch(blobs: readonly LocalBlob[], cause: unknown): BlobUploadError {
    return new BlobUploadError(blobs[0], cause, `uploading a batch of ${blobs.length} blobs from ${blobs[0].path}`);
  }
}
