// Big blobs of a publish go through tus with the upload core's resumable hook (client/upload/resumable-hook.ts), as
// `presscloud push` does: a PATCH cut by the network continues from the server's offset, and each upload's URL is
// kept in localStorage as soon as it exists, so that dropping the same folder again after a reload resumes it
// instead of sending it from zero.
import { DEFAULT_RESUMABLE_THRESHOLD, type StoredResumableUpload } from '../client/upload/resumable.js';
import { type KeptUploads, ResumableHook } from '../client/upload/resumable-hook.js';
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

/** The page's resumable hook: the core's, with each upload kept in localStorage. */
export function pageResumable(apiToken: string): ResumableHook<PageBlob> {
  return new ResumableHook({
    baseUrl: location.origin,
    apiToken,
    threshold: resumableThreshold(),
    chunkSize: CHUNK_SIZE,
    kept: keptInStorage(apiToken),
    // The token travels in a header only; nothing is cached or credentialed by the browser.
    fetch: (input, init) => fetch(input, { ...init, cache: 'no-store', credentials: 'omit' }),
  });
}

/** One entry per server, token and blob; the token only as a hash. */
function keptInStorage(apiToken: string): KeptUploads<PageBlob> {
  let tokenHash: Promise<string> | undefined;
  const keyOf = async (blob: PageBlob) => {
    tokenHash ??= hashToken(apiToken);
    return `${KEPT_PREFIX}${location.origin} ${await tokenHash} ${blob.sha256} ${blob.size}`;
  };
  return {
    read: async (blob) => readKept(await keyOf(blob)),
    keep: async (blob, upload) => keep(await keyOf(blob), upload),
    forget: async (blob) => removeStorage(await keyOf(blob)),
  };
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
