// The JSON shapes of the PressCloud upload API, as plain interfaces mirroring the wire format: one
// definition, imported by the server's domain (it answers in these shapes) and re-exported by the SDK.

/** One file of a manifest, as sent when creating an upload session. */
export interface ManifestFileInput {
  /** Relative POSIX path: no leading `/`, no `\`, no empty, `.` or `..` segment. */
  path: string;
  /** 64 hex digits; any case is accepted, the server stores it lowercase. */
  sha256: string;
  size: number;
  mime?: string;
}

export interface CreateUploadSessionRequest {
  files: ManifestFileInput[];
  /** 1 to 604800; the server defaults to 3600. */
  expiresInSeconds?: number;
}

export type UploadSessionState = 'open' | 'completed' | 'aborted' | 'expired';

export interface CreateUploadSessionResponse {
  uploadSessionId: string;
  /** Sent back as `X-Upload-Token` on every write to the session; returned only here. */
  uploadToken: string;
  state: 'open';
  expiresAt: string;
  fileCount: number;
  blobCount: number;
  totalBytes: number;
  /** Each distinct sha256 the tenant does not hold yet, once, in manifest order. */
  missing: string[];
}

export interface UploadSessionStatus {
  uploadSessionId: string;
  state: UploadSessionState;
  expiresAt: string;
  fileCount: number;
  blobCount: number;
  totalBytes: number;
  missing: string[];
  manifestId?: string;
}

export interface StoredBlob {
  sha256: string;
  size: number;
  mime?: string;
  r2Key: string;
}

export interface PutBlobResponse {
  uploadSessionId: string;
  /** True when the tenant already held the blob before this request (a retry answers true). */
  alreadyPresent: boolean;
  blob: StoredBlob;
}

export interface ManifestSummary {
  manifestId: string;
  fileCount: number;
  totalBytes: number;
  createdAt: string;
}

export interface CompleteUploadSessionResponse {
  uploadSessionId: string;
  state: 'completed';
  manifest: ManifestSummary;
}

export interface ManifestFile {
  path: string;
  sha256: string;
  size: number;
  mime?: string;
}

export interface Manifest {
  manifestId: string;
  createdAt: string;
  fileCount: number;
  totalBytes: number;
  files: ManifestFile[];
}

/** The body of every non-2xx answer; `missing` comes with 409 `blobs_missing`. */
export interface ErrorBody {
  error: string;
  message: string;
  missing?: string[];
}

/** `/healthz` and `/readyz` bodies: the server reports at least a status word. */
export interface HealthResponse {
  status: string;
  [detail: string]: unknown;
}
