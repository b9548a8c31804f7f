// The step after a push completes: the site's links (the preview, and with --alias the alias pointed at
// the new manifest) and the warnings about malformed lines of DIR/_redirects and DIR/_headers, which the
// server skips (a publish never fails for them).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PressCloudApiError } from '../../client/errors.js';
import { PressCloudClient } from '../../client/client.js';
import { parseSiteRules, type RuleWarning } from '../../domain/site/site-rules.js';

export interface PublishedSite {
  /** The manifest's preview site; absent only when the token may not read manifests (no read scope). */
  readonly previewUrl?: string;
  /** The alias's site, with --alias. */
  readonly url?: string;
  readonly warnings: readonly string[];
}

export interface PublishOptions {
  readonly url: string;
  readonly token: string;
  readonly alias?: string;
  /** Whether the caller needs the previewUrl without --alias (--json): that costs one GET of the manifest. */
  readonly json?: boolean;
}

export async function publishSite(directory: string, manifestId: string, options: PublishOptions): Promise<PublishedSite> {
  const warnings = (await ruleWarnings(directory)).map((w) => `${w.file} line ${w.line}: ${w.message} (the line is skipped)`);
  if (!options.alias && !options.json) return { warnings };
  const client = new PressCloudClient({ baseUrl: options.url, token: options.token, connections: 1 });
  try {
    if (options.alias) {
      const set = await client.putAlias(options.alias, manifestId);
      return { previewUrl: set.previewUrl, url: set.url, warnings };
    }
    try {
      return { previewUrl: (await client.getManifest(manifestId)).previewUrl, warnings };
    } catch (err) {
      if (err instanceof PressCloudApiError && err.code === 'forbidden') return { warnings };
      throw err;
    }
  } finally {
    await client.close();
  }
}

/** What the server will skip in the site's rule files, line by line. */
export async function ruleWarnings(directory: string): Promise<RuleWarning[]> {
  const text = (name: string) => readFile(path.join(directory, name), 'utf8').catch(() => null);
  return parseSiteRules(await text('_redirects'), await text('_headers')).warnings;
}
