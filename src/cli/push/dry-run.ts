// `presscloud push --dry-run`: build the manifest, open a session only to learn what is missing, abort it.
import type { ManifestFileInput } from '../../api/types.js';
import { buildLocalManifest } from './local-manifest.js';
import { counted, formatBytes } from '../transfer-common/progress.js';
import { withSessionCalls } from './push-directory.js';
import type { PushOptions } from './push-directory.js';

export interface DryRunReport {
  dryRun: true;
  uploadSessionId: string;
  fileCount: number;
  blobCount: number;
  totalBytes: number;
  missingBlobs: number;
  missingBytes: number;
  /** Every file whose content the server lacks. */
  files: ManifestFileInput[];
}

export async function dryRunPush(options: PushOptions): Promise<DryRunReport> {
  return withSessionCalls(options, async (calls) => {
    await calls.checkAccess();
    const manifest = await buildLocalManifest(options);
    const session = await calls.open(manifest);
    try {
      await calls.abort(session, 'abort of the dry-run session');
    } catch (err) {
      if (calls.options.signal?.aborted) throw await calls.abandon(session);
      throw err;
    }
    const missing = new Set(session.missing.map((sha) => sha.toLowerCase()));
    return {
      dryRun: true,
      uploadSessionId: session.uploadSessionId,
      fileCount: session.fileCount,
      blobCount: session.blobCount,
      totalBytes: session.totalBytes,
      missingBlobs: missing.size,
      missingBytes: [...missing].reduce((sum, sha) => sum + (manifest.blobs.get(sha)?.size ?? 0), 0),
      files: manifest.files.filter((file) => missing.has(file.sha256)),
    };
  });
}

export function describeDryRun(report: DryRunReport): string {
  const blobs = `${report.missingBlobs} of ${counted(report.blobCount, 'blob')} (${formatBytes(report.missingBytes)})`;
  return `dry run: would upload ${blobs} for ${report.files.length} of ${counted(report.fileCount, 'file')}; the session was aborted`;
}
