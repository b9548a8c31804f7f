// The one check of --url and --token every command makes before its work: a wrong URL or token should cost a
// second, not the time it takes to hash or list a large tree. It asks GET /v1/access, which answers 2xx.
import type { PressCloudClient } from '../../client/client.js';
import { isPressCloudApiError } from '../../client/errors.js';
import { CliError, EXIT_USAGE } from '../cli-error.js';
import type { RetryingCalls } from './retrying-calls.js';

export async function checkServer(client: PressCloudClient, calls: RetryingCalls, scope: 'upload' | 'read'): Promise<void> {
  const url = client.baseUrl;
  try {
    await calls.retrying('check of --url and --token', (signal) => client.checkAccess(scope, { signal }));
  } catch (err) {
    if (isPressCloudApiError(err) && err.status === 404) {
      const root = url.href.replace(/\/v1\/$/, '/');
      const hint =
        root === url.href ? "is --url the server's root, where /docs is?" : `--url is the server's root, without /v1: try ${root}`;
      throw new CliError(`no PressCloud API at ${url.href} (404 ${err.code}); ${hint}`, EXIT_USAGE, { cause: err });
    }
    throw err;
  }
}
