// The typed PressCloud SDK: one method per endpoint of API.md, over a keep-alive undici pool.
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { PressCloudNetworkError, apiErrorOf } from './errors.js';
import type { PressCloudApiError } from './errors.js';
import { multipartUpload } from './multipart-body.js';
import { countBytes, openBody } from './request-body.js';
import type {
  PressCloudClientOptions,
  CallOptions,
  BlobBody,
  PutBlobOptions,
  BlobPart,
  UploadBlobsOptions,
  ListManifestsOptions,
  GetBlobOptions,
  BlobInfo,
  BlobDownload,
} from './client-options.js';
import type {
  AccessResponse,
  AliasDetail,
  AliasList,
  AliasSetResponse,
  CompleteUploadSessionResponse,
  CreateUploadSessionRequest,
  CreateUploadSessionResponse,
  HealthResponse,
  Manifest,
  ManifestList,
  PutBlobResponse,
  UploadBlobsResponse,
  UploadSessionStatus,
} from '../api/types.js';

export type * from './client-options.js';

const DEFAULT_CONNECTIONS = 8;
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 30_000;
const DEFAULT_USER_AGENT = `presscloud-client node/${process.versions.node}`;

export class PressCloudClient {
  readonly baseUrl: URL;
  private readonly token: string;
  private readonly userAgent: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;

  constructor(options: PressCloudClientOptions) {
    const base = new URL(options.baseUrl);
    // A trailing slash makes relative resolution keep any path prefix of the base.
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.baseUrl = base;
    this.token = options.token;
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        connections: options.connections ?? DEFAULT_CONNECTIONS,
        keepAliveTimeout: options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
      });
  }

  /** Closes the client's own keep-alive sockets; a dispatcher passed in is left to its owner. */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  /** The token's tenant and scopes; with `scope`, a 403 `forbidden` unless the token carries it. Touches nothing. */
  checkAccess(scope?: 'upload' | 'read', options: CallOptions = {}): Promise<AccessResponse> {
    return this.callJson('GET', `v1/access${scope ? `?scope=${scope}` : ''}`, options);
  }

  createUploadSession(body: CreateUploadSessionRequest, options: CallOptions = {}): Promise<CreateUploadSessionResponse> {
    return this.callJson('POST', 'v1/upload-sessions', { ...options, json: body });
  }

  getUploadSession(uploadSessionId: string, options: CallOptions = {}): Promise<UploadSessionStatus> {
    return this.callJson('GET', `v1/upload-sessions/${encodeURIComponent(uploadSessionId)}`, options);
  }

  /** Idempotent: a repeat answers 200 with `alreadyPresent: true`. */
  async putBlob(
    uploadSessionId: string,
    uploadToken: string,
    sha256: string,
    body: BlobBody,
    options: PutBlobOptions,
  ): Promise<PutBlobResponse> {
    const path = `v1/upload-sessions/${encodeURIComponent(uploadSessionId)}/blobs/${encodeURIComponent(sha256)}`;
    const source = openBody(body);
    const sent = options.onProgress && source instanceof Readable ? countBytes(source, options.onProgress) : source;
    try {
      const result = await this.callJson<PutBlobResponse>('PUT', path, {
        signal: options.signal,
        uploadToken,
        body: sent,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(options.size) },
      });
      if (!(source instanceof Readable)) options.onProgress?.(source.byteLength);
      return result;
    } finally {
      // undici leaves an unread body open when the request fails early; never leak a file handle.
      if (sent instanceof Readable && !sent.destroyed) sent.destroy();
    }
  }

  /**
   * Uploads many blobs in one multipart request, streamed part after part (a file is opened when its turn
   * comes). Resolves with one result per part, in order: a part that failed (`status` ≥ 400) stored nothing
   * and did not stop the others. Throws for errors of the whole request (401, 403, 404, 409, 410, 413…).
   */
  async uploadBlobs(
    uploadSessionId: string,
    uploadToken: string,
    parts: readonly BlobPart[],
    options: UploadBlobsOptions = {},
  ): Promise<UploadBlobsResponse> {
    const multipart = multipartUpload(
      parts.map((part) => ({ ...part, open: () => openBody(part.body) })),
      options.onProgress,
    );
    try {
      return await this.callJson<UploadBlobsResponse>('POST', `v1/upload-sessions/${encodeURIComponent(uploadSessionId)}/blobs`, {
        signal: options.signal,
        uploadToken,
        body: multipart.body,
        headers: { 'content-type': multipart.contentType, 'content-length': String(multipart.contentLength) },
      });
    } finally {
      // As for putBlob: a request that failed early must not keep the current file open.
      if (!multipart.body.destroyed) multipart.body.destroy();
    }
  }

  completeUploadSession(uploadSessionId: string, uploadToken: string, options: CallOptions = {}): Promise<CompleteUploadSessionResponse> {
    return this.callJson('POST', `v1/upload-sessions/${encodeURIComponent(uploadSessionId)}/complete`, {
      ...options,
      uploadToken,
    });
  }

  async abortUploadSession(uploadSessionId: string, uploadToken: string, options: CallOptions = {}): Promise<void> {
    await this.callJson('DELETE', `v1/upload-sessions/${encodeURIComponent(uploadSessionId)}`, {
      ...options,
      uploadToken,
    });
  }

  /** One page of the tenant's manifests, newest first; pass `nextCursor` back as `cursor` for the next. */
  listManifests(options: ListManifestsOptions = {}): Promise<ManifestList> {
    const query = new URLSearchParams();
    for (const key of ['limit', 'cursor'] as const) if (options[key] !== undefined) query.set(key, String(options[key]));
    return this.callJson('GET', `v1/manifests${query.size > 0 ? `?${query}` : ''}`, { signal: options.signal });
  }

  getManifest(manifestId: string, options: CallOptions = {}): Promise<Manifest> {
    return this.callJson('GET', `v1/manifests/${encodeURIComponent(manifestId)}`, options);
  }

  /** Whether this tenant holds the manifest, asked with HEAD so that no file list travels. */
  async hasManifest(manifestId: string, options: CallOptions = {}): Promise<boolean> {
    const response = await this.send('HEAD', `v1/manifests/${encodeURIComponent(manifestId)}`, options);
    // apiError reads the (empty) body: a dumped body cannot be read again.
    if (response.statusCode !== 200 && response.statusCode !== 404) throw await this.apiError(response);
    await response.body.dump();
    return response.statusCode === 200;
  }

  /** Streams a blob's bytes, or one range of them (206). */
  async getBlob(sha256: string, options: GetBlobOptions = {}): Promise<BlobDownload> {
    const headers: Record<string, string> = {};
    if (options.range) headers.range = `bytes=${options.range.start}-${options.range.end ?? ''}`;
    const response = await this.send('GET', `v1/blobs/${encodeURIComponent(sha256)}`, {
      signal: options.signal,
      headers,
    });
    if (response.statusCode !== 200 && response.statusCode !== 206) throw await this.apiError(response);
    return {
      status: response.statusCode,
      ...blobInfoOf(response),
      contentRange: header(response, 'content-range'),
      body: response.body,
    };
  }

  /** The blob's size and type without its bytes; null when this tenant does not hold it. */
  async headBlob(sha256: string, options: CallOptions = {}): Promise<BlobInfo | null> {
    const response = await this.send('HEAD', `v1/blobs/${encodeURIComponent(sha256)}`, options);
    if (response.statusCode !== 200 && response.statusCode !== 404) throw await this.apiError(response);
    await response.body.dump();
    return response.statusCode === 200 ? blobInfoOf(response) : null;
  }

  /** Points the alias at one of the tenant's manifests, atomically (scope `publish`). */
  putAlias(name: string, manifestId: string, options: CallOptions = {}): Promise<AliasSetResponse> {
    return this.callJson('PUT', `v1/aliases/${encodeURIComponent(name)}`, { ...options, json: { manifestId } });
  }

  listAliases(options: CallOptions = {}): Promise<AliasList> {
    return this.callJson('GET', 'v1/aliases', options);
  }

  /** The alias with its history, newest first (`history[0]` is the current manifest). */
  getAlias(name: string, options: CallOptions = {}): Promise<AliasDetail> {
    return this.callJson('GET', `v1/aliases/${encodeURIComponent(name)}`, options);
  }

  async deleteAlias(name: string, options: CallOptions = {}): Promise<void> {
    await this.callJson('DELETE', `v1/aliases/${encodeURIComponent(name)}`, options);
  }

  /** Refused (409 manifest_in_use) while an alias points at it. */
  async deleteManifest(manifestId: string, options: CallOptions = {}): Promise<void> {
    await this.callJson('DELETE', `v1/manifests/${encodeURIComponent(manifestId)}`, options);
  }

  healthz(options: CallOptions = {}): Promise<HealthResponse> {
    return this.callJson('GET', 'healthz', options);
  }

  /** Throws a PressCloudApiError (503) while the database or blob store is unreachable. */
  readyz(options: CallOptions = {}): Promise<HealthResponse> {
    return this.callJson('GET', 'readyz', options);
  }

  private async callJson<T>(method: Dispatcher.HttpMethod, path: string, init: SendInit & { json?: unknown }): Promise<T> {
    const headers = { ...init.headers };
    let body = init.body;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    const response = await this.send(method, path, { ...init, headers, body });
    if (response.statusCode < 200 || response.statusCode >= 300) throw await this.apiError(response);
    if (response.statusCode === 204 || method === 'HEAD') {
      await response.body.dump();
      return undefined as T;
    }
    try {
      return (await response.body.json()) as T;
    } catch (err) {
      throw this.transportError(method, path, err, init.signal);
    }
  }

  private async send(method: Dispatcher.HttpMethod, path: string, init: SendInit): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      'user-agent': this.userAgent,
      accept: 'application/json',
      ...init.headers,
    };
    if (init.uploadToken !== undefined) headers['x-upload-token'] = init.uploadToken;
    try {
      return await request(new URL(path, this.baseUrl), {
        dispatcher: this.dispatcher,
        method,
        headers,
        body: init.body,
        signal: init.signal,
      });
    } catch (err) {
      throw this.transportError(method, path, err, init.signal);
    }
  }

  private transportError(method: string, path: string, err: unknown, signal: AbortSignal | undefined): unknown {
    // The caller's own abort keeps its reason, so a caller can tell its cancellation from a network failure.
    if (signal?.aborted) return signal.reason;
    const reason = err instanceof Error ? err.message : String(err);
    return new PressCloudNetworkError(`${method} /${path} failed: ${reason}`, { cause: err });
  }

  private async apiError(response: Dispatcher.ResponseData): Promise<PressCloudApiError> {
    let text = '';
    try {
      text = await response.body.text();
    } catch {
      // The status alone still tells the caller what happened.
    }
    return apiErrorOf(response.statusCode, text, header(response, 'retry-after'));
  }
}

interface SendInit extends CallOptions {
  headers?: Record<string, string>;
  uploadToken?: string;
  body?: string | Buffer | Uint8Array | Readable;
}

function header(response: Dispatcher.ResponseData, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function blobInfoOf(response: Dispatcher.ResponseData): BlobInfo {
  return {
    size: Number(header(response, 'content-length') ?? 0),
    contentType: header(response, 'content-type') ?? 'application/octet-stream',
    etag: header(response, 'etag'),
  };
}
