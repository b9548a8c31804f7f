// A per-directory cache of file hashes, like git's index: a file whose stat is unchanged since it was hashed keeps
// its sha256, so a warm push reads only the files that changed.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

const FORMAT_VERSION = 1;

/**
 * A file modified within this long of being hashed may change again within the same timestamp tick and keep an
 * identical stat (the "racy git" problem); such entries are not stored, so the next push hashes them again.
 * 2 s covers the coarsest common timestamps (FAT).
 */
export const RACY_WINDOW_MS = 2000;

/** What must be unchanged for a cached hash to be trusted. */
export type FileStamp = Pick<Stats, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino' | 'dev'>;

/** Stored as a tuple to keep the file small: [size, mtimeMs, ctimeMs, ino, dev, sha256]. */
type StoredEntry = [number, number, number, number, number, string];

interface StoredCache {
  version: number;
  root: string;
  entries: Record<string, StoredEntry>;
}

/** `$PRESSCLOUD_CACHE_DIR`, else `$XDG_CACHE_HOME/presscloud`, else `~/.cache/presscloud`. */
export function defaultHashCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PRESSCLOUD_CACHE_DIR) return path.resolve(env.PRESSCLOUD_CACHE_DIR);
  // The XDG spec says to ignore a relative XDG_CACHE_HOME.
  const xdg = env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(homedir(), '.cache'), 'presscloud');
}

/** One file per pushed directory, named by the sha256 of its real absolute path. */
export function hashCacheFile(cacheDir: string, rootReal: string): string {
  return path.join(cacheDir, `${createHash('sha256').update(rootReal).digest('hex')}.json`);
}

export class HashCache {
  /** Entries of this push: only files still present get written back, so deleted ones drop out. */
  private readonly current = new Map<string, StoredEntry>();
  private hitCount = 0;

  private constructor(
    readonly file: string,
    private readonly rootReal: string,
    private readonly previous: ReadonlyMap<string, StoredEntry>,
  ) {}

  /** A missing, unreadable or corrupt cache file counts as empty; the save rewrites it. */
  static async load(cacheDir: string, rootReal: string): Promise<HashCache> {
    const file = hashCacheFile(cacheDir, rootReal);
    let previous = new Map<string, StoredEntry>();
    try {
      previous = parseEntries(JSON.parse(await readFile(file, 'utf8')) as unknown, rootReal);
    } catch {
      // Ignored on purpose: the cache only saves time, and any doubt about it means hashing again.
    }
    return new HashCache(file, rootReal, previous);
  }

  get hits(): number {
    return this.hitCount;
  }

  /** The cached sha256 when every field of the stamp matches the stored one exactly. */
  lookup(relativePath: string, stamp: FileStamp): string | undefined {
    const entry = this.previous.get(relativePath);
    if (!entry || !sameStamp(entry, stamp)) return undefined;
    this.current.set(relativePath, entry);
    this.hitCount++;
    return entry[5];
  }

  /** Remembers a fresh hash, unless the file was modified too recently to trust its stamp later. */
  record(relativePath: string, stamp: FileStamp, sha256: string, hashedAtMs: number): void {
    // ctime too: utimes can set mtime back while the content changes, but it always moves ctime to now.
    if (Math.max(stamp.mtimeMs, stamp.ctimeMs) > hashedAtMs - RACY_WINDOW_MS) return;
    this.current.set(relativePath, [stamp.size, stamp.mtimeMs, stamp.ctimeMs, stamp.ino, stamp.dev, sha256]);
  }

  /**
   * Writes a temp file and renames it over the cache, so a crash or a concurrent push never leaves half a file.
   * `keepUnvisited`: an interrupted push also keeps the entries of the files it did not reach.
   */
  async save(options: { keepUnvisited?: boolean } = {}): Promise<void> {
    const entries = options.keepUnvisited ? new Map([...this.previous, ...this.current]) : this.current;
    const stored: StoredCache = { version: FORMAT_VERSION, root: this.rootReal, entries: Object.fromEntries(entries) };
    const temp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await mkdir(path.dirname(this.file), { recursive: true });
    try {
      await writeFile(temp, JSON.stringify(stored));
      await rename(temp, this.file);
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw err;
    }
  }
}

function sameStamp(entry: StoredEntry, stamp: FileStamp): boolean {
  return (
    entry[0] === stamp.size && entry[1] === stamp.mtimeMs && entry[2] === stamp.ctimeMs && entry[3] === stamp.ino && entry[4] === stamp.dev
  );
}

/** Only well-formed entries of a cache written for this very directory; anything else is dropped. */
function parseEntries(parsed: unknown, rootReal: string): Map<string, StoredEntry> {
  const entries = new Map<string, StoredEntry>();
  if (typeof parsed !== 'object' || parsed === null) return entries;
  const stored = parsed as Partial<StoredCache>;
  if (stored.version !== FORMAT_VERSION || stored.root !== rootReal) return entries;
  if (typeof stored.entries !== 'object' || stored.entries === null) return entries;
  for (const [relativePath, entry] of Object.entries(stored.entries as Record<string, unknown>)) {
    if (isStoredEntry(entry)) entries.set(relativePath, entry);
  }
  return entries;
}

function isStoredEntry(value: unknown): value is StoredEntry {
  return (
    Array.isArray(value) &&
    value.length === 6 &&
    value.slice(0, 5).every((field) => typeof field === 'number' && Number.isFinite(field)) &&
    typeof value[5] === 'string' &&
    /^[0-9a-f]{64}$/.test(value[5])
  );
}
