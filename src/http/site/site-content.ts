// A site's bytes: small files held in memory, keyed by content (sha256, and sha256 + encoding for their
// compressed forms), so an alias switch never meets a stale entry; big files streamed from the blob
// store, compressed on the fly. Compressed forms are made once per blob and reused by every site.
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { ByteRange } from '../../domain/ports/blob-store.js';
import { LruCache } from '../../domain/site/lru-cache.js';

export type ContentEncoding = 'br' | 'gzip';

export interface SiteContentLimits {
  /** Total bytes of files and compressed forms held in memory. */
  readonly maxBytes: number;
  /** Files up to this size are held in memory (and compressed once); bigger ones are streamed every time. */
  readonly maxFileBytes: number;
}

/** The documented bound (README, "Publish a site"): 64 MiB in all, files of 1 MiB or less. */
export const DEFAULT_SITE_CONTENT_LIMITS: SiteContentLimits = { maxBytes: 64 * 1024 ** 2, maxFileBytes: 1024 ** 2 };

/** Below this, compression saves less than its header costs. */
const MIN_COMPRESSIBLE_BYTES = 256;
/** Weight of a "not worth compressing" marker, so markers too count against the bound. */
const MARKER_WEIGHT = 64;
const NOT_SMALLER = Buffer.alloc(0);

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** Once per blob for cached files, so the slower, smaller settings pay; streams use faster ones. */
const CACHED_BROTLI = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9 } };
const STREAM_BROTLI = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } };

export type ReadBlob = (sha256: string, range?: ByteRange) => Promise<Readable>;

export class SiteContent {
  private readonly cache: LruCache<string, Buffer>;
  private readonly loading = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly read: ReadBlob,
    readonly limits: SiteContentLimits = DEFAULT_SITE_CONTENT_LIMITS,
  ) {
    this.cache = new LruCache(limits.maxBytes, (bytes) => bytes.length + MARKER_WEIGHT);
  }

  holds(size: number): boolean {
    return size <= this.limits.maxFileBytes;
  }

  /** Whether a type is worth compressing, and this file big enough for it. */
  compressible(mime: string, size: number): boolean {
    return size >= MIN_COMPRESSIBLE_BYTES && isCompressibleType(mime);
  }

  /** A small file's bytes, from memory or read once (concurrent first readers share the read). */
  bytes(sha256: string): Promise<Buffer> {
    return this.once(sha256, async () => collect(await this.read(sha256)));
  }

  /** A small file's compressed form, or null when it is not smaller than the file. */
  async encoded(sha256: string, encoding: ContentEncoding): Promise<Buffer | null> {
    const form = await this.once(`${sha256}-${encoding}`, async () => {
      const bytes = await this.bytes(sha256);
      const compressed = encoding === 'br' ? await brotli(bytes, CACHED_BROTLI) : await gzip(bytes, { level: 9 });
      return compressed.length < bytes.length ? compressed : NOT_SMALLER;
    });
    return form.length === 0 ? null : form;
  }

  /** A big file, or a range of one, streamed from the store; compressed on the way when `encoding` is given. */
  async stream(sha256: string, options: { range?: ByteRange; encoding?: ContentEncoding }): Promise<Readable> {
    const source = await this.read(sha256, options.range);
    if (!options.encoding) return source;
    const compressor = options.encoding === 'br' ? zlib.createBrotliCompress(STREAM_BROTLI) : zlib.createGzip({ level: 6 });
    source.once('error', (err) => compressor.destroy(err));
    return source.pipe(compressor);
  }

  private once(key: string, load: () => Promise<Buffer>): Promise<Buffer> {
    const cached = this.cache.get(key);
    if (cached) return Promise.resolve(cached);
    let pending = this.loading.get(key);
    if (!pending) {
      pending = load().then(
        (value) => {
          this.cache.set(key, value);
          this.loading.delete(key);
          return value;
        },
        (err: unknown) => {
          this.loading.delete(key);
          throw err;
        },
      );
      this.loading.set(key, pending);
    }
    return pending;
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const COMPRESSIBLE =
  /^(text\/|application\/(javascript|json|xml|wasm|manifest\+json|ld\+json|rss\+xml|atom\+xml|xhtml\+xml)|image\/svg\+xml|font\/(ttf|otf))/;

export function isCompressibleType(mime: string): boolean {
  return COMPRESSIBLE.test(mime);
}

/** br when the client takes it, else gzip, else none; `q=0` refuses an encoding (RFC 9110 12.5.3). */
export function chooseEncoding(acceptEncoding: string | string[] | undefined): ContentEncoding | null {
  if (typeof acceptEncoding !== 'string') return null;
  const accepted = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const weight = (name: string) => accepted.get(name) ?? accepted.get('*') ?? 0;
  if (weight('br') > 0) return 'br';
  if (weight('gzip') > 0) return 'gzip';
  return null;
}
