// The calls the upload core makes, as an interface: fetch-api.ts implements it over `fetch` (Node and browsers);
// a front-end may bring its own (the page sends bodies with XMLHttpRequest for upload progress, the CLI through
// the SDK's keep-alive pool).
import type {
  CompleteUploadSessionResponse,
  CreateUploadSessionRequest,
  CreateUploadSessionResponse,
  PutBlobResponse,
  UploadBlobsResponse,
  UploadSessionStatus,
} from '../../api/types.js';
import type { ByteSource } from './source.js';

/** One distinct blob of a manifest and where its bytes come from. */
export interface UploadBlob {
  /** Lowercase, 64 hex digits. */
  readonly sha256: string;
  readonly size: number;
  readonly source: ByteSource;
}

export interface SessionCredentials {
  readonly uploadSessionId: string;
  readonly uploadToken: string;
}

export interface UploadCallOptions {
  signal?: AbortSignal;
}

export interface BodyOptions extends UploadCallOptions {
  /** Bytes of blob data as they leave for the server (framing excluded), for progress and stall detection. */
  onProgress?: (bytes: number) => void;
}

/** Every method rejects with a PressCloudApiError (an answer) or a PressCloudNetworkError (none), or the signal's reason. */
export interface UploadApi<B extends UploadBlob = UploadBlob> {
  createUploadSession(request: CreateUploadSessionRequest, options?: UploadCallOptions): Promise<CreateUploadSessionResponse>;
  getUploadSession(uploadSessionId: string, options?: UploadCallOptions): Promise<UploadSessionStatus>;
  putBlob(session: SessionCredentials, blob: B, options?: BodyOptions): Promise<PutBlobResponse>;
  /** One result per part, in order; throws for errors of the whole request (404/405 no batch route, 413…). */
  uploadBlobs(session: SessionCredentials, blobs: readonly B[], options?: BodyOptions): Promise<UploadBlobsResponse>;
  completeUploadSession(session: SessionCredentials, options?: UploadCallOptions): Promise<CompleteUploadSessionResponse>;
  abortUploadSession(session: SessionCredentials, options?: UploadCallOptions): Promise<void>;
}
