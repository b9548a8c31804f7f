// Resumable uploads (tus 1.0.0, API.md "Resumable uploads"): an upload of one blob of a session, whose
// bytes arrive over many PATCHes into a partial store, with the offset, the running SHA-256 state and the
// store's state saved together at each acknowledged step; the last byte verifies the blob and commits it
// through the same path as the seed's PUT.
import type { Principal } from './authentication.js';
import { requireScope } from './authentication.js';
import { blobKey } from './blob-key.js';
import type { BlobIngest, IngestMetrics } from './blob-ingest.js';
import { AppError } from './errors.js';
import { SNIFF_BYTES, sniffMime } from './mime.js';
import type { PutContext, SessionStore } from './ports/metadata-store.js';
import type {
  PartialCheckpoint,
  PartialUpload,
  PartialUploadStore,
  PartialWriter,
  ResumableUploadRecord,
  ResumableUploadStore,
} from './ports/resumable-uploads.js';
import { ResumableHash } from './resumable-hash.js';
import { type HeldLease, UploadLocks } from './resumable-lease.js';
import { newId, tokenMatches } from './tokens.js';
import { byteCountHeader, isOffsetOctetStream, type PatchChecksum, patchChecksumOf, sha256OfMetadata } from './tus-headers.js';
import type { SessionRecord } from './types.js';

export type ResumableMetadata = ResumableUploadStore & Pick<SessionStore, 'getSession' | 'putContext'>;

export interface ResumableOptions {
  readonly maxBlobSize: number;
  /** How long an upload's lease lasts unrenewed (default 10 s): how long an instance killed mid-PATCH blocks it. */
  readonly leaseMs?: number;
}

export interface TusTarget {
  readonly sessionId: string;
  readonly uploadId: string;
  readonly uploadToken: string;
}

export interface CreateUploadInput {
  readonly sessionId: string;
  readonly uploadToken: string;
  readonly uploadLength: string | undefined;
  readonly uploadMetadata: string | undefined;
}

export interface PatchInput extends TusTarget {
  readonly contentType: string | undefined;
  readonly uploadOffset: string | undefined;
  readonly uploadChecksum: string | undefined;
  readonly contentLength: number | undefined;
  /** Throws when the client goes away or stops sending, as a PUT's body does. */
  readonly body: AsyncIterable<Buffer>;
}

export interface UploadPosition {
  readonly uploadId: string;
  readonly offset: number;
  readonly length: number;
  readonly expiresAt: string;
}

const DEFAULT_LEASE_MS = 10_000;
const GC_BATCH = 100;

export class ResumableUploads {
  private readonly locks: UploadLocks;

  constructor(
    private readonly metadata: ResumableMetadata,
    private readonly partials: PartialUploadStore,
    private readonly ingest: BlobIngest,
    private readonly metrics: IngestMetrics,
    private readonly options: ResumableOptions,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.locks = new UploadLocks(metadata, options.leaseMs ?? DEFAULT_LEASE_MS, now);
  }

  /** Creation: checked as the PUT checks its session and blob, then an empty upload (a zero-byte blob completes at once). */
  async create(principal: Principal, input: CreateUploadInput): Promise<UploadPosition> {
    requireScope(principal, 'upload');
    const sha256 = sha256OfMetadata(input.uploadMetadata);
    const context = await this.metadata.putContext(principal.tenantId, input.sessionId, sha256);
    if (!context) throw new AppError('session_not_found');
    checkUploadToken(context.session, input.uploadToken);
    this.checkWritable(context.session);
    if (!context.blob) throw new AppError('blob_not_in_session');
    const length = byteCountHeader('Upload-Length', input.uploadLength);
    if (length > this.options.maxBlobSize) throw new AppError('payload_too_large', `Tus-Max-Size is ${this.options.maxBlobSize} bytes.`);
    if (length !== context.blob.size) {
      throw new AppError('size_mismatch', `Upload-Length is ${length}; the manifest's size is ${context.blob.size}.`);
    }
    const id = newId('tus_');
    const storeState = await this.partials.create(id, blobKey(sha256), length);
    const expiresAt = context.session.expiresAt;
    const upload = { id, tenantId: principal.tenantId, sessionId: context.session.id, sha256, length, expiresAt, storeState };
    await this.metadata.createResumableUpload({ ...upload, createdAt: this.now().toISOString() });
    if (length === 0) return this.receiveExclusive(principal.tenantId, id, 0, (async function* () {})(), undefined);
    return { uploadId: id, offset: 0, length, expiresAt };
  }

  /** HEAD: the durable offset; waits for a PATCH of this instance, 423 while another instance's is running. */
  async position(principal: Principal, target: TusTarget): Promise<UploadPosition> {
    const upload = await this.findOpen(principal, target);
    return this.locks.exclusive(upload.id, upload.state !== 'completed', async () => positionOf(await this.current(principal, upload.id)));
  }

  async patch(principal: Principal, input: PatchInput): Promise<UploadPosition> {
    const upload = await this.findOpen(principal, input, true);
    if (!isOffsetOctetStream(input.contentType)) {
      throw new AppError('unsupported_media_type', 'A PATCH carries Content-Type: application/offset+octet-stream.');
    }
    const offset = byteCountHeader('Upload-Offset', input.uploadOffset);
    const checksum = patchChecksumOf(input.uploadChecksum);
    return this.receiveExclusive(principal.tenantId, upload.id, offset, input.body, checksum, input.contentLength);
  }

  /** Termination: the partial bytes dropped; a completed upload's blob stays. */
  async terminate(principal: Principal, target: TusTarget): Promise<void> {
    const upload = await this.find(principal, target);
    await this.locks.exclusive(upload.id, upload.state !== 'completed', async () => this.drop(upload));
  }

  /** Garbage collection: drops uploads past their expiry or whose session ended (S3: aborts their multipart uploads). */
  async expire(now: Date): Promise<number> {
    let dropped = 0;
    for (;;) {
      const ended = await this.metadata.endedResumableUploads(now.toISOString(), GC_BATCH);
      for (const upload of ended) await this.drop(upload);
      dropped += ended.length;
      if (ended.length < GC_BATCH) return dropped;
    }
  }

  private receiveExclusive(
    tenantId: string,
    uploadId: string,
    offset: number,
    body: AsyncIterable<Buffer>,
    checksum: PatchChecksum | undefined,
    contentLength?: number,
  ): Promise<UploadPosition> {
    return this.locks.exclusive(uploadId, true, async (lease) => {
      const upload = await this.metadata.getResumableUpload(tenantId, uploadId);
      if (!upload) throw new AppError('upload_not_found');
      if (offset !== upload.offset) {
        throw new AppError('offset_mismatch', `Upload-Offset is ${offset}; the upload's offset is ${upload.offset}.`);
      }
      if (contentLength !== undefined && offset + contentLength > upload.length) throw pastLength(upload.length);
      if (upload.state === 'completed') return positionOf(upload);
      return this.receive(upload, lease as HeldLease, body, checksum);
    });
  }

  /** One PATCH's bytes: kept up to a broken connection unless the PATCH carries a checksum (then all or none). */
  private async receive(
    upload: ResumableUploadRecord,
    lease: HeldLease,
    body: AsyncIterable<Buffer>,
    checksum: PatchChecksum | undefined,
  ): Promise<UploadPosition> {
    const hash = await ResumableHash.resume(upload.hashState);
    const writer = await this.partials.openWriter(partialOf(upload));
    const head: Buffer[] = [];
    let offset = upload.offset;
    let bodyError: unknown;
    const save = async (checkpoint: PartialCheckpoint) => {
      const mime = upload.offset === 0 ? sniffMime(Buffer.concat(head)) : upload.mime;
      const saved = await this.metadata.saveResumableProgress(upload.id, lease.id, { offset, hashState: hash.save(), mime, ...checkpoint });
      if (!saved) throw new AppError('upload_locked', 'The upload was taken over by another request; ask HEAD for its offset.');
    };
    try {
      const chunks = body[Symbol.asyncIterator]();
      for (;;) {
        let next: IteratorResult<Buffer>;
        try {
          next = await chunks.next();
        } catch (err) {
          bodyError = err;
          break;
        }
        if (next.done) break;
        const chunk = next.value;
        if (offset + chunk.length > upload.length) throw pastLength(upload.length);
        this.metrics.bytesReceived(chunk.length);
        hash.update(chunk);
        checksum?.hash.update(chunk);
        if (offset < SNIFF_BYTES) head.push(chunk.subarray(0, SNIFF_BYTES - offset));
        offset += chunk.length;
        const checkpoint = await writer.write(chunk);
        if (checkpoint && !checksum) await save(checkpoint);
      }
      if (checksum && (bodyError !== undefined || checksum.hash.digest('base64') !== checksum.expected)) {
        throw bodyError ?? new AppError('checksum_mismatch');
      }
    } catch (err) {
      await writer.abandon();
      throw err;
    }
    if (offset === upload.length && bodyError === undefined) return this.finish(upload, writer, hash.digest(), head);
    await save(await writer.flush());
    if (bodyError !== undefined) throw bodyError;
    return positionOf({ ...upload, offset });
  }

  /** The last byte arrived: verify the whole blob, commit it as a PUT commits, or drop it all. */
  private async finish(upload: ResumableUploadRecord, writer: PartialWriter, digest: string, head: Buffer[]): Promise<UploadPosition> {
    if (digest !== upload.sha256) {
      await writer.abandon();
      await this.drop(upload);
      throw new AppError('digest_mismatch', `The upload's bytes hash to ${digest}, not to the sha256 in Upload-Metadata.`);
    }
    const context = await this.metadata.putContext(upload.tenantId, upload.sessionId, upload.sha256);
    if (!context?.blob) throw new AppError('upload_not_found');
    const staged = await writer.finish();
    try {
      const mime = context.blob.mime ?? (upload.offset === 0 ? sniffMime(Buffer.concat(head)) : upload.mime);
      await this.ingest.commitStaged(targetOf(upload.tenantId, context), staged, mime);
      await this.metadata.completeResumableUpload(upload.id, upload.length);
    } finally {
      await staged.discard();
    }
    return positionOf({ ...upload, offset: upload.length });
  }

  private async drop(upload: ResumableUploadRecord): Promise<void> {
    if (upload.state !== 'completed') await this.partials.drop(partialOf(upload));
    await this.metadata.deleteResumableUpload(upload.id);
  }

  private async find(principal: Principal, target: TusTarget): Promise<ResumableUploadRecord> {
    requireScope(principal, 'upload');
    const upload = await this.metadata.getResumableUpload(principal.tenantId, target.uploadId);
    const session = upload?.sessionId === target.sessionId ? await this.metadata.getSession(principal.tenantId, target.sessionId) : null;
    if (!upload || !session) throw new AppError('upload_not_found');
    checkUploadToken(session, target.uploadToken);
    return upload;
  }

  /** find(), on a session still open: a PATCH answers as the PUT does (410, 409), a HEAD 404 (the upload ended with it). */
  private async findOpen(principal: Principal, target: TusTarget, asPut = false): Promise<ResumableUploadRecord> {
    const upload = await this.find(principal, target);
    const session = await this.metadata.getSession(principal.tenantId, target.sessionId);
    if (!session) throw new AppError('upload_not_found');
    if (asPut) this.checkWritable(session);
    else if (session.state !== 'open' || this.expired(session))
      throw new AppError('upload_not_found', 'The upload ended with its session.');
    return upload;
  }

  private async current(principal: Principal, uploadId: string): Promise<ResumableUploadRecord> {
    const upload = await this.metadata.getResumableUpload(principal.tenantId, uploadId);
    if (!upload) throw new AppError('upload_not_found');
    return upload;
  }

  /** 410 before 409, as the PUT orders them. */
  private checkWritable(session: SessionRecord): void {
    if (session.state === 'expired' || this.expired(session)) throw new AppError('session_expired');
    if (session.state !== 'open') throw new AppError('session_not_open', `The upload session is ${session.state}.`);
  }

  private expired(session: SessionRecord): boolean {
    return Date.parse(session.expiresAt) <= this.now().getTime();
  }
}

function checkUploadToken(session: SessionRecord, uploadToken: string): void {
  if (!tokenMatches(uploadToken, session.uploadTokenHash)) throw new AppError('invalid_upload_token');
}

function pastLength(length: number): AppError {
  return new AppError('payload_too_large', `The bytes run past Upload-Length (${length}).`);
}

function partialOf(upload: ResumableUploadRecord): PartialUpload {
  return {
    id: upload.id,
    key: blobKey(upload.sha256),
    length: upload.length,
    offset: upload.offset,
    storeState: upload.storeState,
    tail: upload.tail,
  };
}

function positionOf(upload: Pick<ResumableUploadRecord, 'id' | 'offset' | 'length' | 'expiresAt'>): UploadPosition {
  return { uploadId: upload.id, offset: upload.offset, length: upload.length, expiresAt: upload.expiresAt };
}

function targetOf(tenantId: string, context: PutContext) {
  if (!context.blob) throw new AppError('upload_not_found');
  return { tenantId, blob: context.blob, held: context.held };
}
