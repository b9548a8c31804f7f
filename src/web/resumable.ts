// Big blobs of a publish go through tus (client/upload/resumable.ts) rather than one PUT, as `presscloud push` does
// (cli/push/resumable-blob.ts): a PATCH cut by the network continues from the server's offset, and each upload's URL
// is kept in localStorage as soon as it exists, so that dropping the same folder again after a reload resumes it
// instead of sending it from zero. The upload core calls it through its `resumable` hook.
import type { SessionCredentials } from '../client/upload/api.js';
import type { ResumableUploader } from '../client/upload/context.js';
import { DEFAULT_RESUMABLE_THRESHOLD, type StoredResumableUpload, uploadResumable } from '../client/upload/resumable.js';
import type { PageBlob } from './upload-api.js';

/** Bytes per PATCH, each held in memory once. */
const CHUNK_SIZE = 8 * 1024 * 1024;
/** localStorage key lowering the threshold (bytes, at least 1 MiB): for tests and trials. */
const THRESHOLD_KEY = 'presscloud.resumableThreshold';
const MIN_THRESHOLD = 1024 * 1024;
const KEPT_PREFIX = 'presscloud.upload.';
/** Kept uploads older than this are dropped when read: the server's session is long gone. */
const KEPT_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

interface KeptUpload extends StoredResumableUpload {
  readonly savedAt: number;
}

/** The blobs at least as big as the threshold (localStorage's, else 64 MiB like the CLI). */
export function resumableThreshold(): number {
  const set = Number(readStorage(THRESHOLD_KEY) ?? Number.NaN);
  return Number.isFinite(set) && set > 0 ? Math.max(MIN_THRESHOLD, Math.floor(set)) : DEFAULT_RESUMABLE_THRESHOLD;
}

export class PageResumable implements ResumableUploader<PageBlob> {
  readonly aboveBytes: number;
  /** Unfinished uploads of this publish with bytes the server acknowledged: blob sha256 → their session's upload token. */
  private readonly onServer = new Map<string, string>();
  private tokenHash: Promise<string> | undefined;

  constructor(private readonly apiToken: string) {
    this.aboveBytes = resumableThreshold() - 1;
  }

  /** A cancel leaves open a session holding acknowledged bytes: dropping the folder again resumes them. */
  keepsSession(session: SessionCredentials): boolean {
    return [...this.onServer.values()].includes(session.uploadToken);
  }

  async upload(session: SessionCredentials, blob: PageBlob, hooks: { signal: AbortSignal; onBytes(delta: number): void }): Promise<void> {
    const key = await this.keyOf(blob);
    const resumeFrom = readKept(key);
    let uploadToken = resumeFrom?.uploadToken ?? session.uploadToken;
    // The resumed offset is reported once, as bytes of this blob: the byte bar counts them once.
    let shown = 0;
    await uploadResumable(
      {
        baseUrl: location.origin,
        apiToken: this.apiToken,
        uploadSessionId: session.uploadSessionId,
        uploadToken: session.uploadToken,
        sha256: blob.sha256,
        source: blob.source,
      },
      {
        resumeFrom,
        chunkSize: CHUNK_SIZE,
        onCreated: (upload) => {
          uploadToken = upload.uploadToken;
          keep(key, upload);
        },
        onProgress: (offset, size) => {
          hooks.onBytes(offset - shown);
          shown = offset;
          if (offset > 0 && offset < size) this.onServer.set(blob.sha256, uploadToken);
          else this.onServer.delete(blob.sha256);
        },
        signal: hooks.signal,
        // The token travels in a header only; nothing is cached or credentialed by the browser.
        fetch: (input, init) => fetch(input, { ...init, cache: 'no-store', credentials: 'omit' }),
      },
    );
    this.onServer.delete(blob.sha256);
    removeStorage(key);
  }

  /** One entry per server, token and blob; the token only as a hash. */
  private async keyOf(blob: PageBlob): Promise<string> {
    this.tokenHash ??= hashToken(this.apiToken);
    return `${KEPT_PREFIX}${location.origin} ${await this.tokenHash} ${blob.sha256} ${blob.size}`;
  }
}

/** SHA-256 where WebCrypto exists (secure contexts); else FNV-1a, not secret but never the token itself. */
async function hashToken(token: string): Promise<string> {
  const bytes = new TextEncoder().encode(token);
  if (globalThis.crypto?.subtle) {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  }
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return `fnv1a-${hash.toString(16).padStart(8, '0')}`;
}

/** A kept upload still worth a HEAD: well formed, on this page's origin, and younger than seven days. */
function readKept(key: string): StoredResumableUpload | undefined {
  const text = readStorage(key);
  if (text === undefined) return undefined;
  try {
    const kept = JSON.parse(text) as Partial<KeptUpload>;
    if (
      typeof kept.url === 'string' &&
      typeof kept.uploadToken === 'string' &&
      typeof kept.savedAt === 'number' &&
      Date.now() - kept.savedAt < KEPT_MAX_AGE_MS &&
      new URL(kept.url, location.origin).origin === location.origin
    ) {
      return { url: kept.url, uploadToken: kept.uploadToken };
    }
  } catch {
    // Not ours, or damaged: dropped below.
  }
  removeStorage(key);
  return undefined;
}

function keep(key: string, upload: StoredResumableUpload): void {
  // Only uploads on this origin are kept (and resumed): the page talks to no other server.
  if (new URL(upload.url, location.origin).origin !== location.origin) return;
  const kept: KeptUpload = { url: upload.url, uploadToken: upload.uploadToken, savedAt: Date.now() };
  try {
    localStorage.setItem(key, JSON.stringify(kept));
  } catch {
    // Storage full or disabled: the upload still resumes within this tab.
  }
}

function readStorage(key: string): string | undefined {
  try {
    return localStorage.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

function removeStorage(key: string): void {
  try {
    localStorage.removeItem(key);
  } catch {
    // Nothing was stored.
  }
}
