// A file on disk as the upload core's ByteSource: each read checks first that the file still has the size that
// was hashed, so a file changed mid-push fails with a FileChangedError rather than a request that breaks off.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { bytesSource, type ByteSource } from '../../client/upload/source.js';
import { FileChangedError } from './file-changed.js';
import type { LocalBlob } from './local-manifest.js';

export function fileSource(blob: Omit<LocalBlob, 'source'>): ByteSource {
  return {
    size: blob.size,
    async *read(start, end, signal) {
      const size = await stat(blob.absolutePath).then(
        (stats) => stats.size,
        () => undefined,
      );
      if (size !== blob.size) throw new FileChangedError(blob);
      if (start >= end) return;
      // The signal is checked per chunk, not handed to the stream: a batch body opens up to 200 files under one
      // request's signal, and a listener each made Node warn of a leak (MaxListenersExceededWarning) on stderr.
      // Leaving the loop early (an abort, the request's end) destroys the stream.
      for await (const chunk of createReadStream(blob.absolutePath, { start, end: end - 1 })) {
        signal?.throwIfAborted();
        yield chunk as Buffer;
      }
    },
  };
}

/** A blob of the LocalManifest read from its file; the source is derived (a getter), not part of the blob's value. */
export class FileBlob implements LocalBlob {
  constructor(
    readonly sha256: string,
    readonly size: number,
    readonly path: string,
    readonly absolutePath: string,
  ) {}

  get source(): ByteSource {
    return fileSource(this);
  }
}

/** A symlink's blob: its target as the walk read it, held in memory (reading the link's path would follow it). */
export class LinkBlob implements LocalBlob {
  readonly size: number;
  constructor(
    readonly sha256: string,
    readonly target: Buffer,
    readonly path: string,
    readonly absolutePath: string,
  ) {
    this.size = target.length;
  }

  get source(): ByteSource {
    return bytesSource(this.target);
  }
}
