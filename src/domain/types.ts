// The records the service works with, independent of how they are stored.

export type Scope = 'upload' | 'read' | 'publish';
export const SCOPES: readonly Scope[] = ['upload', 'read', 'publish'];

export type SessionState = 'open' | 'completed' | 'aborted' | 'expired';

export interface Tenant {
  readonly id: string;
  readonly name: string;
}

export interface ApiTokenRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly tenantName: string;
  readonly tokenHash: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** One file of a manifest, validated and normalised (sha256 lowercase). */
/** What git records of a file besides its bytes: "100755" an executable file, "120000" a symlink (its blob is the target). */
export const FILE_MODES = ['100755', '120000'] as const;
export type FileMode = (typeof FILE_MODES)[number];

export interface FileEntry {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly mime?: string;
  /** Absent for a plain file ("100644"). */
  readonly mode?: FileMode;
}

/** One distinct blob a session names, with the mime the blob PUT reports. */
export interface SessionBlob {
  readonly sha256: string;
  readonly size: number;
  readonly mime: string | null;
}

export interface SessionRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly uploadTokenHash: string;
  /** As stored: an open session past expiresAt is still 'open' here; see effectiveState. */
  readonly state: SessionState;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly fileCount: number;
  readonly blobCount: number;
  readonly totalBytes: number;
  readonly manifestId: string | null;
}

export interface ManifestRecord {
  readonly manifestId: string;
  readonly createdAt: string;
  readonly fileCount: number;
  readonly totalBytes: number;
  /** A name for people, the pushed folder's by default; absent when none was given. */
  readonly label?: string;
}

/** A name a tenant points at one of its manifests; its site is served at `{name}.{siteDomain}`. */
export interface AliasRecord {
  readonly name: string;
  readonly manifestId: string;
  readonly updatedAt: string;
}

/** One change of an alias: the manifest it was pointed at, and when. */
export interface AliasChange {
  readonly manifestId: string;
  readonly at: string;
}

/** A completion as the domain answers it; the HTTP layer adds the manifest's previewUrl (on the client's port). */
export interface CompletedSession {
  readonly uploadSessionId: string;
  readonly state: 'completed';
  readonly manifest: ManifestRecord;
}

/** A page of the tenant's manifests as the domain answers it (previewUrl added by the HTTP layer). */
export interface ManifestRecordPage {
  readonly manifests: ManifestRecord[];
  readonly nextCursor?: string;
}
