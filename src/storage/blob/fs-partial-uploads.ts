// Resumable uploads on the embedded default: the partial bytes in <dataDir>/uploads/<uploadId>, written at
// the upload's offset and fsync'd before each acknowledgement; the last PATCH links the file into place
// through the blob store's own commit, so a blob still becomes visible only once, whole and verified.
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError, isAppError } from '../../domain/errors.js';
import type { StagedBlob } from '../../domain/ports/blob-store.js';
import type { PartialUpload, PartialUploadStore, PartialWriter } from '../../domain/ports/resumable-uploads.js';

const OUT_OF_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT']);

export type CommitFile = (file: string, key: string) => Promise<{ created: boolean }>;

export class FsPartialUploads implements PartialUploadStore {
  private readonly dir: string;

  constructor(
    dataDir: string,
    private readonly commitFile: CommitFile,
  ) {
    this.dir = path.join(dataDir, 'uploads');
  }

  async create(uploadId: string): Promise<string | null> {
    await guard(async () => {
      await fs.mkdir(this.dir, { recursive: true });
      await (await fs.open(this.fileOf(uploadId), 'w')).close();
      // The file's name must survive a crash as its acknowledged bytes will.
      const dir = await fs.open(this.dir, fsConstants.O_RDONLY);
      await dir.sync().finally(() => dir.close());
    });
    return null;
  }

  async openWriter(upload: PartialUpload): Promise<PartialWriter> {
    const file = this.fileOf(upload.id);
    const handle = await guard(async () => {
      await fs.mkdir(this.dir, { recursive: true });
      const opened = await fs.open(file, fsConstants.O_RDWR | fsConstants.O_CREAT);
      // Bytes past the offset were never acknowledged: a PATCH that broke without a checkpoint, or a refused one.
      await opened.truncate(upload.offset);
      return opened;
    });
    let position = upload.offset;
    let open = true;
    const close = async () => {
      if (open) {
        open = false;
        await handle.close();
      }
    };
    return {
      write: async (chunk) => {
        await guard(async () => {
          let written = 0;
          while (written < chunk.length) {
            const { bytesWritten } = await handle.write(chunk, written, chunk.length - written, position + written);
            written += bytesWritten;
          }
        });
        position += chunk.length;
        return undefined;
      },
      flush: async () => {
        await guard(async () => {
          await handle.sync();
          await close();
        });
        return { storeState: null, tail: null };
      },
      finish: async (): Promise<StagedBlob> => {
        await guard(async () => {
          await handle.sync();
          await close();
        });
        return {
          commit: () => guard(() => this.commitFile(file, upload.key)),
          discard: () => fs.rm(file, { force: true }).catch(() => undefined),
        };
      },
      abandon: () => close().catch(() => undefined),
    };
  }

  async drop(upload: PartialUpload): Promise<void> {
    await guard(() => fs.rm(this.fileOf(upload.id), { force: true }));
  }

  private fileOf(uploadId: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(uploadId)) throw new Error(`not an upload id: ${uploadId}`);
    return path.join(this.dir, uploadId);
  }
}

async function guard<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if (isAppError(err)) throw err;
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    throw new AppError(OUT_OF_SPACE_CODES.has(code) ? 'insufficient_storage' : 'storage_unavailable', undefined, { cause: err });
  }
}
