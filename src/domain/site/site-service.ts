// Serving manifests as sites: which manifest a site host names (looked up on every request, so an alias
// switch is seen at once by every instance), its `_redirects` and `_headers` (parsed once per manifest id),
// and the file a path resolves to (remembered per manifest id and path: a manifest never changes).
import { Readable } from 'node:stream';
import { blobKey } from '../blob-key.js';
import type { BlobStore, ByteRange } from '../ports/blob-store.js';
import type { SiteManifest, SiteReader } from '../ports/metadata-store.js';
import { isAliasName, isPreviewLabel } from '../site-links.js';
import type { FileEntry } from '../types.js';
import { LruCache } from './lru-cache.js';
import { candidatePaths, decodeSitePath, encodePath, RULE_FILES, resolvePath, type PathResolution } from './site-paths.js';
import { headersFor, matchRedirect, NO_RULES, parseSiteRules, type SiteRules } from './site-rules.js';

export type SiteKind = 'preview' | 'alias';

/** What `_headers` does to an answer: names to set (lowercase) and names to remove. */
export interface HeaderEdits {
  readonly set: ReadonlyMap<string, string>;
  readonly remove: ReadonlySet<string>;
}

export type SiteAnswer =
  | { readonly kind: 'no_site' }
  | { readonly kind: 'bad_path'; readonly site: SiteKind }
  | { readonly kind: 'file'; readonly site: SiteKind; readonly status: 200 | 404; readonly file: FileEntry; readonly headers: HeaderEdits }
  | {
      readonly kind: 'redirect';
      readonly site: SiteKind;
      readonly status: number;
      readonly location: string;
      readonly headers: HeaderEdits;
    }
  | { readonly kind: 'not_found'; readonly site: SiteKind; readonly headers: HeaderEdits };

export interface SiteCacheLimits {
  /** Manifests whose parsed rules are kept. */
  readonly ruleManifests: number;
  /** (manifest, path) resolutions kept. */
  readonly resolutions: number;
}

export const DEFAULT_SITE_CACHE_LIMITS: SiteCacheLimits = { ruleManifests: 1000, resolutions: 50_000 };

/** Larger rule files are ignored: Cloudflare Pages itself takes at most 2,100 redirect lines. */
const MAX_RULE_FILE_BYTES = 1024 * 1024;

export class SiteService {
  private readonly rules: LruCache<string, Promise<SiteRules>>;
  private readonly resolutions: LruCache<string, PathResolution>;

  constructor(
    private readonly reader: SiteReader,
    private readonly blobs: Pick<BlobStore, 'read'>,
    limits: SiteCacheLimits = DEFAULT_SITE_CACHE_LIMITS,
  ) {
    this.rules = new LruCache(limits.ruleManifests);
    this.resolutions = new LruCache(limits.resolutions);
  }

  /** The answer to GET `rawPath` (as sent, before the query) on the site host `label`. */
  async answer(label: string, rawPath: string, query: string): Promise<SiteAnswer> {
    const kind: SiteKind | null = isPreviewLabel(label) ? 'preview' : isAliasName(label) ? 'alias' : null;
    const site = kind === 'preview' ? await this.reader.previewSite(label) : kind === 'alias' ? await this.reader.aliasSite(label) : null;
    if (!kind || !site) return { kind: 'no_site' };
    const path = decodeSitePath(rawPath);
    if (path === null) return { kind: 'bad_path', site: kind };
    const rules = await this.rulesOf(site);
    const headers = headersFor(rules.headers, path);
    const redirect = matchRedirect(rules.redirects, path);
    let target = path;
    if (redirect && redirect.status !== 200) {
      return { kind: 'redirect', site: kind, status: redirect.status, location: redirectLocation(redirect.to), headers };
    }
    if (redirect) {
      const rewritten = decodeSitePath(encodeURI(redirect.to.split('?')[0]));
      if (rewritten === null) return { kind: 'bad_path', site: kind };
      target = rewritten;
    }
    const resolution = await this.resolve(site, target, redirect !== null);
    switch (resolution.kind) {
      case 'file':
        return { kind: 'file', site: kind, status: resolution.status, file: resolution.file, headers };
      case 'redirect':
        return { ...resolution, site: kind, location: query ? `${resolution.location}?${query}` : resolution.location, headers };
      default:
        return { kind: 'not_found', site: kind, headers };
    }
  }

  /** A file's bytes, or one range of them: from the database for a small blob it keeps, else from the blob store. */
  async read(sha256: string, range?: ByteRange): Promise<Readable> {
    const bytes = await this.reader.blobBytes(sha256);
    if (bytes === null) return this.blobs.read(blobKey(sha256), range);
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Readable.from([range ? view.subarray(range.start, range.end + 1) : view]);
  }

  private async resolve(site: SiteManifest, path: string, rewritten: boolean): Promise<PathResolution> {
    const key = `${site.manifestId}\n${rewritten ? 1 : 0}\n${path}`;
    const known = this.resolutions.get(key);
    if (known) return known;
    const found = servable(await this.reader.siteFiles(site, candidatePaths(path)));
    const resolution = resolvePath(path, new Map(found.map((entry) => [entry.path, entry])), rewritten);
    this.resolutions.set(key, resolution);
    return resolution;
  }

  private rulesOf(site: SiteManifest): Promise<SiteRules> {
    let rules = this.rules.get(site.manifestId);
    if (!rules) {
      rules = this.loadRules(site);
      this.rules.set(site.manifestId, rules);
      // A failed load (the store unreachable) is not remembered: the next request tries again.
      rules.catch(() => this.rules.delete(site.manifestId));
    }
    return rules;
  }

  private async loadRules(site: SiteManifest): Promise<SiteRules> {
    const files = servable(await this.reader.siteFiles(site, RULE_FILES));
    if (files.length === 0) return NO_RULES;
    const text = async (name: string) => {
      const entry = files.find((file) => file.path === name);
      return entry && entry.size <= MAX_RULE_FILE_BYTES ? this.readText(entry.sha256) : null;
    };
    return parseSiteRules(await text('_redirects'), await text('_headers')).rules;
  }

  private async readText(sha256: string): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.read(sha256)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
}

/** A target as a Location: a URL as written, a path with its characters percent-encoded (escapes kept). */
function redirectLocation(to: string): string {
  if (/^https?:\/\//i.test(to)) return to;
  const [path, query] = splitOnce(to, '?');
  const encoded = encodePath(safeDecode(path));
  return query === undefined ? encoded : `${encoded}?${query}`;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * A site serves files only: a symlink entry's blob is its target's text, which served as the file would be wrong,
 * so a site treats the entry as absent (a 404, or the 404 page).
 */
function servable(files: FileEntry[]): FileEntry[] {
  return files.filter((file) => file.mode !== '120000');
}
