// Big blobs of a push go through tus with the upload core's resumable hook (client/upload/resumable-hook.ts); the
// upload's URL is kept beside the hash cache as soon as it exists, so a push that is killed (or stopped by Ctrl-C,
// which then leaves the session open) resumes, on its next run, from the server's offset instead of from zero.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StoredResumableUpload } from '../../client/upload/resumable.js';
import { type KeptUploads, ResumableHook } from '../../client/upload/resumable-hook.js';
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

export function resumableBlobs(options: ResumableBlobOptions): ResumableHook<LocalBlob> {
  const { url, token, threshold, cacheDir, retries } = options;
  return new ResumableHook({ baseUrl: url, apiToken: token, threshold, retries, kept: keptBesideCache(cacheDir, url) });
}

/** One file per server and blob: `<cacheDir>/uploads/<sha256 of url and blob>.json`, owner-only (the upload token is a credential). */
function keptBesideCache(cacheDir: string, url: string): KeptUploads<LocalBlob> {
  const fileOf = (blob: LocalBlob) =>
    path.join(cacheDir, 'uploads', `${createHash('sha256').update(`${url}\n${blob.sha256}`).digest('hex')}.json`);
  return {
    async read(blob) {
      try {
        const kept = JSON.parse(await readFile(fileOf(blob), 'utf8')) as Partial<StoredResumableUpload>;
        return typeof kept.url === 'string' && typeof kept.uploadToken === 'string'
          ? { url: kept.url, uploadToken: kept.uploadToken }
          : undefined;
      } catch {
        return undefined;
      }
    },
    async keep(blob, upload) {
      await mkdir(path.join(cacheDir, 'uploads'), { recursive: true, mode: 0o700 });
      await writeFile(fileOf(blob), JSON.stringify(upload), { mode: 0o600 });
    },
    async forget(blob) {
      await rm(fileOf(blob), { force: true });
    },
  };
}
