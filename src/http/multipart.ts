// A streaming multipart/form-data reader for the batch POST: parts come one at a time, each body as a stream of
// chunks, and nothing is held beyond the chunk being read and a delimiter's length. Every part is a blob (API.md).
// Fuzzed against busboy as an oracle (test/http/multipart-oracle.test.ts), whose header rules it follows.
import { AppError } from '../domain/errors.js';

export interface MultipartPart {
  /** Content-Disposition's name, or undefined when the part has none. */
  readonly name: string | undefined;
  /** The part's bytes. Read them before asking for the next part: whatever is left unread is skipped. */
  readonly body: AsyncIterable<Buffer>;
}

export interface MultipartLimits {
  /** More parts than this is 413 payload_too_large, raised when the next part's headers arrive. */
  readonly maxParts: number;
  /** Most bytes of one part's header block (default 16 KiB). */
  readonly maxHeaderBytes?: number;
}

const CRLF = Buffer.from('\r\n');
const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
/** A header line as busboy accepts it: an RFC 9110 token, a colon, then tabs, visible characters and obs-text. */
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([\t\x20-\x7e\x80-\xff]*)$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** RFC 2046: 1 to 70 characters, from a set that excludes CR and LF. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/** The batch route's unsupported_content_type, in its answers and in the document. */
export const NOT_MULTIPART = 'The Content-Type must be multipart/form-data.';

/** The boundary of a multipart/form-data Content-Type; unsupported_content_type for any other type. */
export function multipartBoundary(contentType: string | undefined): string {
  const [type, ...params] = splitParams(contentType ?? '');
  if (type.toLowerCase() !== 'multipart/form-data') {
    throw new AppError('unsupported_content_type', NOT_MULTIPART);
  }
  const boundary = params.find((param) => param.name === 'boundary')?.value;
  if (boundary === undefined || !BOUNDARY.test(boundary)) {
    throw new AppError('invalid_request', 'The multipart/form-data Content-Type needs a boundary of 1 to 70 characters.');
  }
  return boundary;
}

/**
 * Reads `source` as a multipart body. Malformed input throws invalid_request; whatever `source` throws (a
 * timeout, a disconnect, a byte limit) passes through. The first such error is kept in `failure` and every later
 * read throws it again, so a consumer can tell a broken request from a bad part.
 */
export class MultipartReader implements AsyncIterable<MultipartPart> {
  private readonly delimiter: Buffer;
  private readonly source: AsyncIterator<Buffer>;
  private readonly maxHeaderBytes: number;
  /** Bytes read from the source and not yet handed out; starts with the CRLF that lets the first delimiter match. */
  private pending: Buffer = CRLF;
  private sourceBytes = 0;
  /** The part whose body is being read; a body iterator of an earlier part reads nothing more. */
  private partNumber = 0;
  private partEnded = true;
  /** Reads go one at a time, in order, even when a store abandons a body with a read still pending. */
  private queue: Promise<unknown> = Promise.resolve();
  private failed: { readonly error: unknown } | undefined;

  constructor(
    source: AsyncIterable<Buffer>,
    boundary: string,
    private readonly limits: MultipartLimits,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.source = source[Symbol.asyncIterator]();
    this.maxHeaderBytes = limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  }

  /** The error that ended the body, once one has. */
  get failure(): unknown {
    return this.failed?.error;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<MultipartPart> {
    if (!(await this.serially(() => this.skipPreamble()))) return;
    for (let count = 0; ; count++) {
      const headers = await this.serially(() => this.readPartStart());
      if (headers === null) return;
      if (count === this.limits.maxParts)
        throw this.fail(new AppError('payload_too_large', `A batch carries at most ${this.limits.maxParts} parts.`));
      const number = ++this.partNumber;
      this.partEnded = false;
      yield { name: partName(headers), body: this.partBody(number) };
      await this.serially(async () => {
        while (this.partNumber === number && (await this.nextBodyChunk()) !== null) {
          // skipping what the consumer left unread
        }
      });
    }
  }

  private partBody(number: number): AsyncIterable<Buffer> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: () =>
          this.serially(async (): Promise<IteratorResult<Buffer>> => {
            const chunk = this.partNumber === number ? await this.nextBodyChunk() : null;
            return chunk === null ? { done: true, value: undefined } : { done: false, value: chunk };
          }),
        return: async (): Promise<IteratorResult<Buffer>> => ({ done: true, value: undefined }),
      }),
    };
  }

  private serially<T>(read: () => Promise<T>): Promise<T> {
    const next = this.queue.then(() => {
      if (this.failed) throw this.failed.error;
      return read().catch((err: unknown) => {
        throw this.fail(err);
      });
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private fail(err: unknown): unknown {
    this.failed ??= { error: err };
    return this.failed.error;
  }

  /** Reads one more chunk into `pending`; false once the source has ended. */
  private async fill(): Promise<boolean> {
    const next = await this.source.next();
    if (next.done) return false;
    this.sourceBytes += next.value.length;
    this.pending = this.pending.length === 0 ? next.value : Buffer.concat([this.pending, next.value]);
    return true;
  }

  /** Drops everything up to the first delimiter; false for an empty body (no bytes at all), which has no parts. */
  private async skipPreamble(): Promise<boolean> {
    for (;;) {
      const at = this.pending.indexOf(this.delimiter);
      if (at >= 0) {
        this.pending = this.pending.subarray(at + this.delimiter.length);
        return true;
      }
      this.pending = this.pending.subarray(this.pending.length - this.keptForDelimiter(this.pending));
      if (!(await this.fill())) {
        if (this.sourceBytes === 0) return false;
        throw malformed('The body has no multipart boundary.');
      }
    }
  }

  /** After a delimiter: null at the closing one (the epilogue is read and dropped), else the next part's headers. */
  private async readPartStart(): Promise<Map<string, string> | null> {
    while (this.pending.length < 2) {
      if (!(await this.fill())) throw malformed('The body ends inside a boundary line.');
    }
    if (this.pending[0] === 0x2d && this.pending[1] === 0x2d) {
      this.pending = Buffer.alloc(0);
      while (await this.fill()) this.pending = Buffer.alloc(0);
      return null;
    }
    // Transport padding (RFC 2046) may follow a delimiter before its CRLF.
    const lineEnd = await this.indexOfFilling(CRLF, this.maxHeaderBytes, 'The boundary line is too long.');
    if (!/^[ \t]*$/.test(this.pending.toString('latin1', 0, lineEnd))) throw malformed('A boundary line carries unexpected characters.');
    this.pending = this.pending.subarray(lineEnd + 2);
    return this.readHeaders();
  }

  /**
   * A part's header block, validated as busboy does: a name of token characters right before its colon, a value
   * of visible characters, spaces and tabs (a line starting with either continues the value before). Of two
   * headers of one name the first counts, as in busboy: a second Content-Disposition cannot rename a part.
   */
  private async readHeaders(): Promise<Map<string, string>> {
    const headers = new Map<string, string>();
    let headerBytes = 0;
    let last: { name: string; value: string } | undefined;
    const keep = () => {
      if (last && !headers.has(last.name)) headers.set(last.name, last.value.trim());
    };
    for (;;) {
      const lineEnd = await this.indexOfFilling(CRLF, this.maxHeaderBytes - headerBytes, 'A part has too many header bytes.');
      const line = this.pending.toString('latin1', 0, lineEnd);
      this.pending = this.pending.subarray(lineEnd + 2);
      headerBytes += lineEnd + 2;
      if (line === '') {
        keep();
        return headers;
      }
      if (last && (line[0] === ' ' || line[0] === '\t') && FIELD_VALUE.test(line)) {
        last.value += line;
        continue;
      }
      const header = HEADER_LINE.exec(line);
      if (!header) throw malformed('A part header is not of the form "Name: value" in the characters HTTP allows.');
      keep();
      last = { name: header[1].toLowerCase(), value: header[2] };
    }
  }

  /** Where `needle` starts in `pending`, reading more as needed, at most `within` bytes ahead. */
  private async indexOfFilling(needle: Buffer, within: number, tooLong: string): Promise<number> {
    for (;;) {
      const at = this.pending.indexOf(needle);
      if (at >= 0 && at <= within) return at;
      if (this.pending.length > within + needle.length) throw malformed(tooLong);
      if (!(await this.fill())) throw malformed('The body ends inside the headers of a part.');
    }
  }

  /** The current part's next bytes, or null once its closing delimiter has been read. */
  private async nextBodyChunk(): Promise<Buffer | null> {
    for (;;) {
      if (this.partEnded) return null;
      const at = this.pending.indexOf(this.delimiter);
      if (at >= 0) {
        const chunk = this.pending.subarray(0, at);
        this.pending = this.pending.subarray(at + this.delimiter.length);
        this.partEnded = true;
        if (chunk.length > 0) return chunk;
        continue;
      }
      const safe = this.pending.length - this.keptForDelimiter(this.pending);
      if (safe > 0) {
        const chunk = this.pending.subarray(0, safe);
        this.pending = this.pending.subarray(safe);
        return chunk;
      }
      if (!(await this.fill())) throw malformed('The body ends inside a part, before its closing boundary.');
    }
  }

  /** How many trailing bytes of `bytes` could be the start of a delimiter split across chunks. */
  private keptForDelimiter(bytes: Buffer): number {
    for (let kept = Math.min(this.delimiter.length - 1, bytes.length); kept > 0; kept--) {
      const start = bytes.length - kept;
      if (bytes[start] === 0x0d && bytes.subarray(start).equals(this.delimiter.subarray(0, kept))) return kept;
    }
    return 0;
  }
}

function malformed(message: string): AppError {
  return new AppError('invalid_request', `Malformed multipart body: ${message}`);
}

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]";
/** A form-data Content-Disposition as busboy reads it: a token type, then `; name=value` parameters, values quoted or tokens. */
const DISPOSITION = new RegExp(
  `^(${TOKEN}*)((?:[ \\t]*;[ \\t]*${TOKEN}+=(?:"(?:[\\t\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t\\x20-\\x7e\\x80-\\xff])*"|${TOKEN}+))*)[ \\t]*$`,
);
const DISPOSITION_PARAM = new RegExp(`;[ \\t]*(${TOKEN}+)=(?:"((?:[^"\\\\]|\\\\.)*)"|(${TOKEN}+))`, 'g');

/**
 * The name parameter of a form-data Content-Disposition; undefined when the part has none, or a disposition busboy
 * could not read (it skips such a part; the batch route answers it as a part without a valid name). Of two name
 * parameters the first counts; `\"` and `\\` are escapes in a quoted value, any other backslash is kept, as in busboy.
 */
function partName(headers: Map<string, string>): string | undefined {
  const match = DISPOSITION.exec(headers.get('content-disposition') ?? '');
  if (match?.[1].toLowerCase() !== 'form-data') return undefined;
  for (const param of match[2].matchAll(DISPOSITION_PARAM)) {
    if (param[1].toLowerCase() === 'name') return param[2] !== undefined ? param[2].replace(/\\(["\\])/g, '$1') : param[3];
  }
  return undefined;
}

/** `type; name=value; name="quoted \"value\""` → [type, ...params]; parameter names lowercased. */
function splitParams(header: string): [string, ...Array<{ name: string; value: string }>] {
  const semicolon = header.indexOf(';');
  const type = (semicolon < 0 ? header : header.slice(0, semicolon)).trim();
  const params: Array<{ name: string; value: string }> = [];
  const param = /\s*;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/gy;
  param.lastIndex = semicolon < 0 ? header.length : semicolon;
  for (let match = param.exec(header); match; match = param.exec(header)) {
    const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3].trim();
    params.push({ name: match[1].toLowerCase(), value });
  }
  return [type, ...params];
}
