// A tus 1.0.0 client for PressCloud's resumable uploads, written against `fetch` and a ByteSource so the
// CLI and the page share it: create an upload (or resume one from its stored URL after a HEAD), PATCH it
// in chunks each with `Upload-Checksum: sha256` (where WebCrypto exists), and after any failure continue from
// the server's offset.
import { PressCloudApiError, PressCloudNetworkError, parseErrorBody, parseRetryAfter } from '../errors.js';
import type { ByteSource } from './source.js';

/** An upload that exists on the server: keep it to resume after the process dies. */
export interface StoredResumableUpload {
  /** The upload's absolute URL (the creation's Location). */
  readonly url: string;
  /** The X-Upload-Token of the session the upload belongs to (it may be an earlier session than the current one). */
  readonly uploadToken: string;
}

export interface ResumableUploadInput {
  /** The service's root, e.g. `https://api.presscloud.example`. */
  readonly baseUrl: string;
  /** An API token with the `upload` scope. */
  readonly apiToken: string;
  readonly uploadSessionId: string;
  readonly uploadToken: string;
  /** The blob's lowercase hex sha256; the session must list it with `source.size` bytes. */
  readonly sha256: string;
  readonly source: ByteSource;
}

export interface ResumableUploadOptions {
  /** An upload kept from an earlier run: resumed at the server's offset when it is still alive, else a new one is made. */
  readonly resumeFrom?: StoredResumableUpload;
  /** Called once a new upload exists, before any byte is sent: store it to resume after a crash. */
  readonly onCreated?: (upload: StoredResumableUpload) => void | Promise<void>;
  /** Called with the server's offset after each acknowledged PATCH (and once the resumed offset is known). */
  readonly onProgress?: (offset: number, size: number) => void;
  /** Bytes per PATCH, each held in memory once (default 16 MiB). */
  readonly chunkSize?: number;
  /** Failed requests in a row before giving up (default 8); a PATCH that moves the offset resets the count. */
  readonly retries?: number;
  /** The first retry's delay, doubled each time up to 30 s (default 500 ms); Retry-After wins. */
  readonly retryDelayMs?: number;
  readonly signal?: AbortSignal;
  /** Default: globalThis.fetch. */
  readonly fetch?: typeof fetch;
}

export interface ResumableUploadResult {
  readonly url: string;
  /** The offset the upload started from: 0 for a new upload, the server's offset for a resumed one. */
  readonly resumedFrom: number;
  /** Body bytes sent by this call, retries included. */
  readonly bytesSent: number;
}

export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;
/**
 * Blobs of at least this size go through tus in the CLI and the page, so a lost upload resumes them; smaller ones
 * are one PUT, whose retry from zero costs little. Chosen so that a lost upload costs seconds on a fast link.
 */
export const DEFAULT_RESUMABLE_THRESHOLD = 64 * 1024 * 1024;
const TUS = { 'Tus-Resumable': '1.0.0' };
const MAX_DELAY_MS = 30_000;
/** Answers after which the same request may succeed: the server's lock, offset races, its own failures. */
const RETRYABLE_STATUSES = new Set([409, 423, 429, 460, 500, 502, 503, 504]);

/** Uploads `input.source` as the blob `input.sha256` into the session; resolves once the server committed it. */
export async function uploadResumable(input: ResumableUploadInput, options: ResumableUploadOptions = {}): Promise<ResumableUploadResult> {
  return new ResumableUploader(input, options).run();
}

class ResumableUploader {
  private readonly fetch: typeof fetch;
  private readonly chunkSize: number;
  private bytesSent = 0;
  private failures = 0;

  constructor(
    private readonly input: ResumableUploadInput,
    private readonly options: ResumableUploadOptions,
  ) {
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  }

  async run(): Promise<ResumableUploadResult> {
    const size = this.input.source.size;
    const resumed = this.options.resumeFrom
      ? await this.attempt(() => this.offsetOf(this.options.resumeFrom as StoredResumableUpload))
      : null;
    const upload = resumed === null ? await this.attempt(() => this.create()) : (this.options.resumeFrom as StoredResumableUpload);
    if (resumed === null) await this.options.onCreated?.(upload);
    let offset = resumed ?? 0;
    const resumedFrom = offset;
    this.options.onProgress?.(offset, size);
    while (offset < size) {
      const from = offset;
      const next = await this.attempt(
        () => this.patch(upload, from),
        async () => {
          offset = (await this.offsetOf(upload)) ?? Number.NaN;
          if (Number.isNaN(offset)) throw new PressCloudApiError({ status: 404, code: 'upload_not_found', message: 'The upload is gone.' });
        },
      );
      if (next > offset) this.failures = 0;
      offset = next;
      this.options.onProgress?.(offset, size);
    }
    return { url: upload.url, resumedFrom, bytesSent: this.bytesSent };
  }

  /** The server's offset of a stored upload; null when it can no longer be continued (gone, or its session ended). */
  private async offsetOf(upload: StoredResumableUpload): Promise<number | null> {
    const response = await this.send(upload.url, { method: 'HEAD', headers: this.headers(upload.uploadToken) });
    if (response.status === 404 || response.status === 403 || response.status === 410) return null;
    if (!response.ok) throw await apiError(response);
    return Number(response.headers.get('upload-offset'));
  }

  private async create(): Promise<StoredResumableUpload> {
    const { baseUrl, uploadSessionId, uploadToken, sha256, source } = this.input;
    const endpoint = new URL(`v1/upload-sessions/${encodeURIComponent(uploadSessionId)}/uploads`, withSlash(baseUrl)).toString();
    const response = await this.send(endpoint, {
      method: 'POST',
      headers: { ...this.headers(uploadToken), 'Upload-Length': String(source.size), 'Upload-Metadata': `sha256 ${base64(utf8(sha256))}` },
    });
    const location = response.headers.get('location');
    if (response.status !== 201 || location === null) throw await apiError(response);
    return { url: new URL(location, endpoint).toString(), uploadToken };
  }

  /** One chunk from `offset`, checksummed; resolves the server's new offset. */
  private async patch(upload: StoredResumableUpload, offset: number): Promise<number> {
    const end = Math.min(offset + this.chunkSize, this.input.source.size);
    const body = await readAll(this.input.source, offset, end, this.options.signal);
    // WebCrypto exists only in secure contexts: a page on plain http (not localhost) sends no checksum.
    const subtle = globalThis.crypto?.subtle;
    const checksum: Record<string, string> = subtle
      ? { 'Upload-Checksum': `sha256 ${base64(new Uint8Array(await subtle.digest('SHA-256', body)))}` }
      : {};
    this.bytesSent += body.byteLength;
    const response = await this.send(upload.url, {
      method: 'PATCH',
      headers: {
        ...this.headers(upload.uploadToken),
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Offset': String(offset),
        ...checksum,
      },
      body,
    });
    if (response.status !== 204) throw await apiError(response);
    return Number(response.headers.get('upload-offset'));
  }

  /** Runs `call`, and on a retryable failure waits, runs `recover` (a HEAD for the offset), and tries again. */
  private async attempt<T>(call: () => Promise<T>, recover?: () => Promise<void>): Promise<T> {
    for (;;) {
      try {
        return await call();
      } catch (err) {
        this.options.signal?.throwIfAborted();
        if (!isRetryable(err) || ++this.failures > (this.options.retries ?? 8)) throw err;
        await delay(this.delayOf(err), this.options.signal);
        if (recover) await this.attempt(recover);
      }
    }
  }

  private delayOf(err: unknown): number {
    if (err instanceof PressCloudApiError && err.retryAfterMs !== undefined) return err.retryAfterMs;
    return Math.min(MAX_DELAY_MS, (this.options.retryDelayMs ?? 500) * 2 ** (this.failures - 1));
  }

  private headers(uploadToken: string): Record<string, string> {
    return { ...TUS, Authorization: `Bearer ${this.input.apiToken}`, 'X-Upload-Token': uploadToken };
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetch(url, { ...init, signal: this.options.signal });
    } catch (err) {
      this.options.signal?.throwIfAborted();
      throw new PressCloudNetworkError(`${init.method} ${url} got no answer`, { cause: err });
    }
  }
}

function isRetryable(err: unknown): boolean {
  return err instanceof PressCloudNetworkError || (err instanceof PressCloudApiError && RETRYABLE_STATUSES.has(err.status));
}

async function apiError(response: Response): Promise<PressCloudApiError> {
  const text = response.status === 204 ? '' : await response.text().catch(() => '');
  const body = parseErrorBody(text);
  return new PressCloudApiError({
    status: response.status,
    code: body?.error ?? `http_${response.status}`,
    message: body?.message ?? `The server answered ${response.status}.`,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after') ?? undefined),
  });
}

async function readAll(source: ByteSource, start: number, end: number, signal: AbortSignal | undefined): Promise<Uint8Array<ArrayBuffer>> {
  // Typed as ArrayBuffer-backed (it is): the DOM typings take no other as a body or a digest input.
  const bytes = new Uint8Array(new ArrayBuffer(end - start));
  let at = 0;
  for await (const chunk of source.read(start, end, signal)) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  if (at !== bytes.byteLength) throw new Error(`the source gave ${at} bytes from offset ${start}, not ${bytes.byteLength}`);
  return bytes;
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
