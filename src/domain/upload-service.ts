// The upload flow of API.md: sessions, the seed's blob PUT, completion into manifests, and reads.
// Routes parse HTTP; this decides, in the order the contract gives, and talks to the two stores.
import type { Readable } from 'node:stream';
import type { BlobStore, ByteRange } from './ports/blob-store.js';
import type { BlobIngester, BlobStatter, ManifestReader, PutContext, PutContextByToken, SessionStore } from './ports/metadata-store.js';
import { requireScope, type Principal } from './authentication.js';
import { blobKey, isSha256 } from './blob-key.js';
import { uploadBatch, type BatchPartOutcome, type IncomingPart } from './batch-upload.js';
import { BlobIngest } from './blob-ingest.js';
import { AppError } from './errors.js';
import { manifestIdOf, validateManifest } from './manifest.js';
import { checkedLabel } from './manifest-label.js';
import { listManifests, type ManifestListQuery } from './manifest-list.js';
import { hashToken, newId, newToken, tokenMatches, UPLOAD_TOKEN_PREFIX } from './tokens.js';
import type {
  CreateUploadSessionResponse as CreatedSession,
  PutBlobResponse as PutBlobResult,
  UploadSessionStatus as SessionStatus,
} from '../api/types.js';
import type { CompletedSession, FileEntry, ManifestRecord, ManifestRecordPage, SessionRecord, SessionState } from './types.js';

export interface ServiceLimits {
  readonly maxBlobSize: number;
  readonly maxManifestFiles: number;
}

export interface ServiceMetrics {
  bytesReceived(bytes: number): void;
  blobStored(bytes: number): void;
  dedupeHit(): void;
}

export interface CreateSessionInput {
  readonly files: unknown;
  readonly expiresInSeconds?: number;
  /** The manifest's label: 1–200 characters, no control characters. */
  readonly label?: string;
}

export interface PutBlobInput {
  readonly sessionId: string;
  readonly sha256: string;
  readonly uploadToken: string;
  readonly contentType: string | undefined;
  readonly contentLength: number | undefined;
  /** Ends the upload by throwing when the client goes away or stops sending (see BlobStore.stage). */
  readonly body: AsyncIterable<Buffer>;
  /** The put context, when read with the API token (putContextLookup); absent: putBlob reads it. */
  readonly context?: PutContext | null;
}

export interface PutBlobsInput {
  readonly sessionId: string;
  readonly uploadToken: string;
  /** Opens the body's parts, once the session checks have passed; throws the body's own whole-request errors. */
  readonly openParts: () => AsyncIterable<IncomingPart>;
}

export interface OpenedBlob {
  readonly size: number;
  readonly mime: string | null;
  readonly sha256: string;
  /** The bytes (or one range of them): in memory when the database keeps the blob, else a stream from the store. */
  read(range?: ByteRange): Promise<Readable | Uint8Array>;
}

/** The metadata roles the upload flow uses. */
export type UploadMetadata = SessionStore & PutContextByToken & ManifestReader & BlobStatter & BlobIngester;

export const DEFAULT_EXPIRES_IN_SECONDS = 3600;
export const MAX_EXPIRES_IN_SECONDS = 604_800;

export class UploadService {
  private readonly ingest: BlobIngest;

  constructor(
    private readonly metadata: UploadMetadata,
    private readonly blobs: BlobStore,
    private readonly limits: ServiceLimits,
    metrics: ServiceMetrics,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.ingest = new BlobIngest(metadata, blobs, metrics, now);
  }

  async createSession(principal: Principal, input: CreateSessionInput): Promise<CreatedSession> {
    requireScope(principal, 'upload');
    const manifest = validateManifest(input.files, { maxFiles: this.limits.maxManifestFiles, maxBlobSize: this.limits.maxBlobSize });
    const expiresIn = input.expiresInSeconds ?? DEFAULT_EXPIRES_IN_SECONDS;
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_EXPIRES_IN_SECONDS) {
      throw new AppError('invalid_request', `expiresInSeconds must be an integer from 1 to ${MAX_EXPIRES_IN_SECONDS}.`);
    }
    const label = checkedLabel(input.label);
    const now = this.now();
    const uploadToken = newToken(UPLOAD_TOKEN_PREFIX);
    const id = newId('us_');
    const expiresAt = new Date(now.getTime() + expiresIn * 1000).toISOString();
    const created = await this.metadata.createSession({
      id,
      tenantId: principal.tenantId,
      uploadTokenHash: hashToken(uploadToken),
      createdAt: now.toISOString(),
      expiresAt,
      files: manifest.files,
      blobs: manifest.blobs,
      totalBytes: manifest.totalBytes,
      label,
    });
    if (created.kind === 'size_conflict') throw heldWithAnotherSize(manifest.files, created.sha256, created.heldSize);
    return {
      uploadSessionId: id,
      uploadToken,
      state: 'open',
      expiresAt,
      fileCount: manifest.files.length,
      blobCount: manifest.blobs.length,
      totalBytes: manifest.totalBytes,
      missing: created.missing,
    };
  }

  async sessionStatus(principal: Principal, sessionId: string): Promise<SessionStatus> {
    requireScope(principal, 'upload');
    const session = await this.findSession(principal, sessionId);
    const missing = session.state === 'completed' ? [] : await this.metadata.missingBlobs(principal.tenantId, session.id);
    return {
      uploadSessionId: session.id,
      state: this.effectiveState(session),
      expiresAt: session.expiresAt,
      fileCount: session.fileCount,
      blobCount: session.blobCount,
      totalBytes: session.totalBytes,
      missing,
      ...(session.manifestId ? { manifestId: session.manifestId } : {}),
    };
  }

  /** The seed's PUT, checked in the order of API.md's table (authentication and scope come first, in the route). */
  async putBlob(principal: Principal, input: PutBlobInput): Promise<PutBlobResult> {
    requireScope(principal, 'upload');
    if (!isSha256(input.sha256)) throw new AppError('invalid_sha256');
    const sha256 = input.sha256.toLowerCase();
    const context =
      input.context !== undefined ? input.context : await this.metadata.putContext(principal.tenantId, input.sessionId, sha256);
    if (!context) throw new AppError('session_not_found');
    const { session, blob, held } = context;
    this.checkUploadToken(session, input.uploadToken);
    this.checkWritable(session);
    if (!blob) throw new AppError('blob_not_in_session');
    if (input.contentType !== undefined && !isOctetStream(input.contentType)) throw new AppError('unsupported_content_type');
    if (input.contentLength !== undefined && input.contentLength !== blob.size) {
      throw new AppError('size_mismatch', `Content-Length is ${input.contentLength}; the manifest's size is ${blob.size}.`);
    }
    const stored = await this.ingest.store({ tenantId: principal.tenantId, blob, held }, input.body);
    return this.putResult(session.id, stored.alreadyPresent, sha256, blob.size, stored.mime, blobKey(sha256));
  }

  /**
   * For authentication of a PUT: finds the API token by its hash and, in the same query, the put context
   * putBlob needs (hand it over as `context`), so a PUT reads the database once before its commit.
   */
  putContextLookup(sessionId: string, sha256: string) {
    return async (tokenHash: string) => {
      const found = await this.metadata.putContextByToken(tokenHash, sessionId, sha256.toLowerCase());
      return found && { token: found.token, extra: found.context };
    };
  }

  /** The batch POST: the PUT's session checks once, in its order, then every part stored as the PUT stores a blob. */
  async putBlobs(principal: Principal, input: PutBlobsInput): Promise<{ uploadSessionId: string; results: BatchPartOutcome[] }> {
    requireScope(principal, 'upload');
    const session = await this.findSession(principal, input.sessionId);
    this.checkUploadToken(session, input.uploadToken);
    this.checkWritable(session);
    const target = { tenantId: principal.tenantId, sessionId: session.id };
    const results = await uploadBatch(this.metadata, this.ingest, target, input.openParts());
    return { uploadSessionId: session.id, results };
  }

  async completeSession(principal: Principal, sessionId: string, uploadToken: string): Promise<CompletedSession> {
    requireScope(principal, 'upload');
    const session = await this.findSession(principal, sessionId);
    this.checkUploadToken(session, uploadToken);
    if (session.state === 'completed' && session.manifestId) {
      const manifest = await this.metadata.getManifest(principal.tenantId, session.manifestId);
      if (manifest) return completed(session.id, manifest);
    }
    this.checkWritable(session);
    const manifestId = manifestIdOf(await this.metadata.sessionFiles(session.id));
    const outcome = await this.metadata.completeSession(principal.tenantId, session.id, manifestId, this.now().toISOString());
    switch (outcome.kind) {
      case 'completed':
        return completed(session.id, outcome.manifest);
      case 'missing':
        throw new AppError('blobs_missing', blobsNotUploaded(outcome.missing.length), {
          extra: { missing: outcome.missing },
        });
      case 'not_open':
        throw outcome.state === 'expired' ? new AppError('session_expired') : new AppError('session_not_open');
    }
  }

  async abortSession(principal: Principal, sessionId: string, uploadToken: string): Promise<void> {
    requireScope(principal, 'upload');
    const session = await this.findSession(principal, sessionId);
    this.checkUploadToken(session, uploadToken);
    if (session.state === 'aborted') return;
    this.checkWritable(session);
    const previous = await this.metadata.abortSession(principal.tenantId, session.id, this.now().toISOString());
    if (previous !== 'open' && previous !== 'aborted') throw new AppError('session_not_open');
  }

  async getManifest(principal: Principal, manifestId: string): Promise<ManifestRecord & { files: FileEntry[] }> {
    requireScope(principal, 'read');
    const manifest = await this.metadata.getManifest(principal.tenantId, manifestId);
    if (!manifest) throw new AppError('manifest_not_found');
    return manifest;
  }

  async listManifests(principal: Principal, query: ManifestListQuery): Promise<ManifestRecordPage> {
    requireScope(principal, 'read');
    return listManifests(this.metadata, principal.tenantId, query);
  }

  /** The tenant's blob: its size and mime, and a way to read its bytes (or one range of them). */
  async openBlob(principal: Principal, sha256: string): Promise<OpenedBlob> {
    requireScope(principal, 'read');
    if (!isSha256(sha256)) throw new AppError('invalid_sha256');
    const hex = sha256.toLowerCase();
    const held = await this.metadata.readTenantBlob(principal.tenantId, hex);
    if (!held) throw new AppError('blob_not_found');
    const { bytes } = held;
    const read = bytes
      ? async (range?: ByteRange) => (range ? bytes.subarray(range.start, range.end + 1) : bytes)
      : (range?: ByteRange) => this.blobs.read(blobKey(hex), range);
    return { sha256: hex, size: held.size, mime: held.mime, read };
  }

  private async findSession(principal: Principal, sessionId: string): Promise<SessionRecord> {
    const session = await this.metadata.getSession(principal.tenantId, sessionId);
    if (!session) throw new AppError('session_not_found');
    return session;
  }

  private checkUploadToken(session: SessionRecord, uploadToken: string): void {
    if (!tokenMatches(uploadToken, session.uploadTokenHash)) throw new AppError('invalid_upload_token');
  }

  /** 410 before 409, as API.md's table orders them. */
  private checkWritable(session: SessionRecord): void {
    if (session.state === 'expired' || Date.parse(session.expiresAt) <= this.now().getTime()) throw new AppError('session_expired');
    if (session.state !== 'open') throw new AppError('session_not_open', `The upload session is ${session.state}.`);
  }

  private effectiveState(session: SessionRecord): SessionState {
    if (session.state === 'open' && Date.parse(session.expiresAt) <= this.now().getTime()) return 'expired';
    return session.state;
  }

  private putResult(
    sessionId: string,
    alreadyPresent: boolean,
    sha256: string,
    size: number,
    mime: string | null,
    r2Key: string,
  ): PutBlobResult {
    return { uploadSessionId: sessionId, alreadyPresent, blob: mime ? { sha256, size, mime, r2Key } : { sha256, size, r2Key } };
  }
}

function blobsNotUploaded(missing: number): string {
  return `${missing} of the session's blobs ${missing === 1 ? 'has' : 'have'} not been uploaded yet.`;
}

/** Names the first entry of the blob, so the client can find the file whose size it got wrong. */
function heldWithAnotherSize(files: readonly FileEntry[], sha256: string, heldSize: number): AppError {
  const index = files.findIndex((file) => file.sha256 === sha256);
  const entry = files[index];
  return new AppError(
    'size_mismatch',
    `files[${index}] ("${entry.path}") declares ${entry.size} bytes, but the blob ${sha256} you already hold has ${heldSize} bytes.`,
  );
}

function completed(uploadSessionId: string, manifest: ManifestRecord): CompletedSession {
  return {
    uploadSessionId,
    state: 'completed',
    manifest: {
      manifestId: manifest.manifestId,
      fileCount: manifest.fileCount,
      totalBytes: manifest.totalBytes,
      createdAt: manifest.createdAt,
    },
  };
}

function isOctetStream(contentType: string): boolean {
  return contentType.split(';')[0].trim().toLowerCase() === 'application/octet-stream';
}
