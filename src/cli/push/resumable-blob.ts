// Big blobs of a push go through tus (client/upload/resumable.ts) rather than one PUT: the upload's URL is
// kept beside the hash cache as soon as it exists, so a push that is killed (or stopped by Ctrl-C, which then
// leaves the session open) resumes, on its next run, from the server's offset instead of from zero. The upload core calls it through its `resumable` hook.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type StoredResumableUpload, uploadResumable } from '../../client/upload/resumable.js';
import type { LocalBlob } from './local-manifest.js';

/** Tries of one tus request when --retries sets no cap. */
export const RESUMABLE_REQUEST_RETRIES = 10;

export interface ResumableBlobOptions {
  readonly url: string;
  readonly token: string;
  /** Blobs of at least this many bytes go through tus. */
  readonly threshold: number;
  /** The hash cache's directory: the upload URLs are kept in its `uploads/`. */
  readonly cacheDir: string;
  /** Tries of one request before the upload gives up (the core then retries the whole blob). */
  readonly retries: number;
}

export interface Session {
  readonly uploadSessionId: string;
  readonly uploadToken: string;
}

export class ResumableBlobs {
  /** Unfinished uploads of this run with bytes the server acknowledged: blob sha256 → the upload token of their session. */
  private readonly onServer = new Map<string, string>();

  constructor(private readonly options: ResumableBlobOptions) {}

  /**
   * Whether `session` holds an unfinished upload of this run with acknowledged bytes: Ctrl-C then leaves the session
   * open (an abort would drop the upload with it) and the next push resumes from the server's offset.
   */
  holdsBytesIn(session: Session): boolean {
    return [...this.onServer.values()].includes(session.uploadToken);
  }

  /** The largest blob that still travels as a PUT or in a batch (the core's `aboveBytes`). */
  get aboveBytes(): number {
    return this.options.threshold - 1;
  }

  /** Uploads (or resumes) one blob into `session`; resolves once the server committed it. */
  async upload(session: Session, blob: LocalBlob, hooks: { signal: AbortSignal; onBytes: (delta: number) => void }): Promise<void> {
    const { url, token } = this.options;
    const { signal, onBytes } = hooks;
    const keptAt = this.keptAt(blob.sha256);
    const resumeFrom = await readKept(keptAt);
    // A kept upload may belong to an earlier run's session; it is that session's token the upload goes with.
    let uploadToken = resumeFrom?.uploadToken ?? session.uploadToken;
    let shown = 0;
    await uploadResumable(
      {
        baseUrl: url,
        apiToken: token,
        uploadSessionId: session.uploadSessionId,
        uploadToken: session.uploadToken,
        sha256: blob.sha256,
        // The blob's own source: a file checked against its hashed size at each read, a link's target from memory.
        source: blob.source,
      },
      {
        resumeFrom,
        onCreated: (upload) => {
          uploadToken = upload.uploadToken;
          return keep(keptAt, upload);
        },
        onProgress: (offset, size) => {
          onBytes(offset - shown);
          shown = offset;
          if (offset > 0 && offset < size) this.onServer.set(blob.sha256, uploadToken);
          else this.onServer.delete(blob.sha256);
        },
        retries: this.options.retries,
        signal,
      },
    );
    this.onServer.delete(blob.sha256);
    await rm(keptAt, { force: true });
  }

  /** One file per server and blob: `<cacheDir>/uploads/<sha256 of url and blob>.json`. */
  private keptAt(sha256: string): string {
    const name = createHash('sha256').update(`${this.options.url}\n${sha256}`).digest('hex');
    return path.join(this.options.cacheDir, 'uploads', `${name}.json`);
  }
}

async function readKept(file: string): Promise<StoredResumableUpload | undefined> {
  try {
    const kept = JSON.parse(await readFile(file, 'utf8')) as Partial<StoredResumableUpload>;
    return typeof kept.url === 'string' && typeof kept.uploadToken === 'string'
      ? { url: kept.url, uploadToken: kept.uploadToken }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Owner-only: the session's upload token is a credential. */
async function keep(file: string, upload: StoredResumableUpload): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, JSON.stringify(upload), { mode: 0o600 });
}
