// The warm push's shortcut: when every hash came from the cache the tree was most likely pushed before, so its
// manifest id is computed here (by the server's own function) and one HEAD asks whether the tenant holds it,
// instead of a session that would send the whole file list again.
import { PressCloudApiError } from '../../client/errors.js';
import { manifestIdOf } from '../../domain/manifest.js';
import { counted } from '../transfer-common/progress.js';
import type { LocalManifest } from './local-manifest.js';
import type { SessionCalls } from './session-calls.js';
import type { TransferResult } from './transfer.js';

/** The transfer's result, with nothing sent, when the server already holds this exact manifest; else undefined. */
export async function alreadyPushed(calls: SessionCalls, manifest: LocalManifest): Promise<TransferResult | undefined> {
  if (!manifest.allFromCache) return undefined;
  const manifestId = manifestIdOf(manifest.files);
  try {
    const held = await calls.retrying('manifest check', (signal) => calls.client.hasManifest(manifestId, { signal }));
    if (!held) return undefined;
  } catch (err) {
    // A push needs only the upload scope: a token without read (403) takes the long way, as does any other
    // refusal of this optional question. A refused token (401) or an unreachable server fails the push as before.
    if (err instanceof PressCloudApiError && err.status !== 401 && err.status < 500) return undefined;
    throw err;
  }
  calls.options.progress.note(`nothing to upload: the server already holds this manifest of ${counted(manifest.files.length, 'file')}`);
  return { manifestId, uploadSessionId: null, uploaded: new Set() };
}
