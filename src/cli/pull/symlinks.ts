// A pull's symlinks: their targets fetched (each a small blob) and checked before anything is written, then the
// links created last, once every file they may point to is in place.
import { createHash } from 'node:crypto';
import { rename, rm, symlink } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import type { PressCloudClient } from '../../client/client.js';
import { MAX_SYMLINK_TARGET_BYTES } from '../../domain/manifest.js';
import { symlinkTargetProblem } from '../../domain/symlink-target.js';
import { CliError } from '../cli-error.js';
import type { RetryingCalls } from '../transfer-common/retrying-calls.js';
import { BlobContentError } from './downloader.js';
import type { PullFile } from './manifest-files.js';
import { PathRefusedError, type PathGuard } from './path-guard.js';
import { tempPathBeside } from './temp-files.js';

export interface PullLink {
  readonly path: string;
  readonly target: string;
}

/** Each symlink of the manifest with its target; throws PathRefusedError for one that could lead out of the directory. */
export async function linkTargets(
  client: PressCloudClient,
  calls: RetryingCalls,
  links: readonly PullFile[],
  signal: AbortSignal,
): Promise<PullLink[]> {
  const linkPaths = new Set(links.map((link) => link.path));
  const texts = new Map<string, string>();
  for (const link of links) {
    if (texts.has(link.sha256)) continue;
    if (link.size === 0 || link.size > MAX_SYMLINK_TARGET_BYTES) {
      throw new CliError(`the server's manifest is not valid: the symlink ${JSON.stringify(link.path)} has a target of ${link.size} bytes`);
    }
    const bytes = await calls.retrying(`download of ${link.path}`, async (attemptSignal) => {
      const download = await client.getBlob(link.sha256, { signal: AbortSignal.any([attemptSignal, signal]) });
      const chunks: Buffer[] = [];
      for await (const chunk of download.body) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    });
    if (bytes.length !== link.size || createHash('sha256').update(bytes).digest('hex') !== link.sha256) {
      throw new BlobContentError(`the bytes the server sent do not hash to ${link.sha256}`);
    }
    if (!isUtf8(bytes)) throw new PathRefusedError(link.path, 'a symlink whose target is not UTF-8');
    texts.set(link.sha256, bytes.toString('utf8'));
  }
  return links.map((link) => {
    const target = texts.get(link.sha256) as string;
    const problem = symlinkTargetProblem(link.path, target, linkPaths);
    if (problem !== null) throw new PathRefusedError(link.path, `a symlink to ${JSON.stringify(target)}: ${problem}`);
    return { path: link.path, target };
  });
}

/** The links not already there with the right target; whatever else is at a link's path was checked to be a file. */
export async function linksToWrite(links: readonly PullLink[], guard: PathGuard): Promise<PullLink[]> {
  const existing = await Promise.all(links.map((link) => guard.inspect(link.path, { symlink: true })));
  return links.filter((link, index) => {
    const entry = existing[index];
    return !(entry.kind === 'symlink' && entry.target === link.target);
  });
}

/** Creates each link beside its path and renames it into place, so a path is always either the old entry or the link. */
export async function writeLinks(links: readonly PullLink[], guard: PathGuard): Promise<void> {
  for (const link of links) {
    const absolute = await guard.prepare(link.path);
    const temp = tempPathBeside(absolute);
    try {
      await symlink(link.target, temp);
      await rename(temp, absolute);
    } finally {
      await rm(temp, { force: true });
    }
  }
}
