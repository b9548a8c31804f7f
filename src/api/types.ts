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
  /**
   * What git records besides the bytes: "100644" a plain file (the default, may be omitted), "100755" an executable
   * file, "120000" a symlink whose blob is its target (1–4095 bytes, as written, relative).
   */
  mode?: FileMode;
}

/** A manifest file's mode, as git writes it. */
export type FileMode = '100644' | '100755' | '120000';

export interface CreateUploadSessionRequest {
  files: ManifestFileInput[];
  /** 1 to 604800; the server defaults to 3600. */
  expiresInSeconds?: number;
  /** The manifest's label, a name for people: 1–200 characters, no control characters. */
  label?: string;
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

/** One part of a batch upload that was stored, as the PUT would have answered it. */
export interface BatchPartStored {
  /** Lowercase. */
  sha256: string;
  status: 200;
  alreadyPresent: boolean;
  blob: StoredBlob;
}

/** One part of a batch upload that failed and stored nothing; the parts after it were still read. */
export interface BatchPartFailed {
  /** Lowercase, or as sent when it is not 64 hex digits. */
  sha256: string;
  /** The status the PUT would have answered (400, 404, 503, 507). */
  status: number;
  /** `invalid_sha256`, `blob_not_in_session`, `size_mismatch`, `digest_mismatch`, `storage_unavailable` or `insufficient_storage`. */
  error: string;
  message: string;
}

export type BatchPartResult = BatchPartStored | BatchPartFailed;

/** The 200 of `POST /v1/upload-sessions/{uploadSessionId}/blobs`: one result per part, in the order the parts came. */
export interface UploadBlobsResponse {
  uploadSessionId: string;
  results: BatchPartResult[];
}

export interface ManifestSummary {
  manifestId: string;
  fileCount: number;
  totalBytes: number;
  createdAt: string;
  /** A name for people (push gives the folder's name); absent when none was given. */
  label?: string;
  /** The manifest's site: `http://{manifestId[0:32]}.{siteDomain}:{port}/`, on the port the client used. */
  previewUrl: string;
}

export interface CompleteUploadSessionResponse {
  uploadSessionId: string;
  state: 'completed';
  manifest: ManifestSummary;
}

/** A page of `GET /v1/manifests`, newest first; `nextCursor` is there when more follow. */
export interface ManifestList {
  manifests: ManifestSummary[];
  nextCursor?: string;
}

export interface ManifestFile {
  path: string;
  sha256: string;
  size: number;
  mime?: string;
  /** "100755" (an executable file) or "120000" (a symlink; the blob is its target); absent for a plain file. */
  mode?: Exclude<FileMode, '100644'>;
}

export interface Manifest {
  manifestId: string;
  createdAt: string;
  fileCount: number;
  totalBytes: number;
  label?: string;
  /** As in ManifestSummary. */
  previewUrl: string;
  files: ManifestFile[];
}

export interface PutAliasRequest {
  manifestId: string;
}

/** A name pointing at one of the tenant's manifests, served at `url`. */
export interface Alias {
  name: string;
  manifestId: string;
  url: string;
  updatedAt: string;
}

/** The answer of `PUT /v1/aliases/{name}` (200, or 201 when the alias is new). */
export interface AliasSetResponse extends Alias {
  previewUrl: string;
}

export interface AliasList {
  /** By name. */
  aliases: Alias[];
}

export interface AliasChange {
  manifestId: string;
  at: string;
}

/** One alias with every change, newest first: `history[0]` is the current manifest. */
export interface AliasDetail extends Alias {
  history: AliasChange[];
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

/** `GET /v1/access`: the token's tenant and scopes. */
export interface AccessResponse {
  tenant: string;
  scopes: Array<'upload' | 'read' | 'publish'>;
}
