// The SDK's option and result shapes (client.ts re-exports them): what a caller passes to and gets from PressCloudClient.
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

export interface PressCloudClientOptions {
  /** The service's root, e.g. `https://api.presscloud.example`; a path prefix is kept. */
  baseUrl: string | URL;
  /** An API token (`pc_…`) with the scopes the calls need: `upload`, `read`. */
  token: string;
  /** Sockets kept open to the server: size it to the number of concurrent calls. Default 8. */
  connections?: number;
  /** Idle keep-alive sockets close after this long. Default 30 s. */
  keepAliveTimeoutMs?: number;
  /** Bring your own undici dispatcher (a ProxyAgent, a MockAgent…); the client will not close it. */
  dispatcher?: Dispatcher;
  userAgent?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** A blob body: bytes in memory, a stream, or a function opening a fresh stream (so a retry can reopen the file). */
export type BlobBody = Buffer | Uint8Array | Readable | (() => Readable);

export interface PutBlobOptions extends CallOptions {
  /** The manifest's size for this blob, sent as Content-Length. */
  size: number;
  /** Called with the byte count of each chunk as it leaves for the server. */
  onProgress?: (bytes: number) => void;
}

/** One blob of a batch upload. */
export interface BlobPart {
  sha256: string;
  /** The manifest's size for this blob: the body must yield exactly this many bytes. */
  size: number;
  /** Opened only when the part's turn comes in the request body. */
  body: BlobBody;
}

export interface UploadBlobsOptions extends CallOptions {
  /** Called with the byte count of each chunk of blob bytes as it leaves for the server. */
  onProgress?: (bytes: number) => void;
}

export interface ListManifestsOptions extends CallOptions {
  /** 1 to 1000 (default 100) per page; `cursor` is the previous page's `nextCursor`. */
  limit?: number;
  cursor?: string;
}

export interface GetBlobOptions extends CallOptions {
  /** A single byte range, inclusive at both ends as in HTTP; `end` defaults to the last byte. */
  range?: { start: number; end?: number };
}

export interface BlobInfo {
  /** The blob's full size for HEAD; for a ranged GET, the length of the part being sent. */
  size: number;
  contentType: string;
  etag: string | undefined;
}

export interface BlobDownload extends BlobInfo {
  status: 200 | 206;
  /** `bytes start-end/total` for a 206. */
  contentRange: string | undefined;
  /** The bytes; consume or destroy it, or the socket stays busy. */
  body: Readable;
}
