// Batch upload bodies for tests: multipart/form-data built byte by byte (so a test can also break it), and the
// POST sent over node:http in chunks of its choosing, or cut off mid-body.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { readRawAnswer, sendRequest, type RawAnswer } from './api.js';

export interface TestPart {
  /** The field name (the blob's sha256); undefined sends a Content-Disposition without a name. */
  readonly name: string | undefined;
  readonly bytes: Buffer;
  readonly filename?: string;
  readonly contentType?: string;
}

export interface MultipartBody {
  readonly body: Buffer;
  readonly contentType: string;
  readonly boundary: string;
}

export function partHead(part: TestPart, boundary: string, first: boolean): Buffer {
  const disposition = [
    'form-data',
    ...(part.name === undefined ? [] : [`name="${part.name}"`]),
    ...(part.filename ? [`filename="${part.filename}"`] : []),
  ];
  const lines = [`${first ? '' : '\r\n'}--${boundary}`, `Content-Disposition: ${disposition.join('; ')}`];
  if (part.contentType) lines.push(`Content-Type: ${part.contentType}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

export function multipartBody(parts: readonly TestPart[], boundary = `test-${randomBytes(8).toString('hex')}`): MultipartBody {
  const pieces: Buffer[] = [];
  for (const [index, part] of parts.entries()) pieces.push(partHead(part, boundary, index === 0), part.bytes);
  pieces.push(Buffer.from(`${parts.length === 0 ? '' : '\r\n'}--${boundary}--\r\n`, 'latin1'));
  return { body: Buffer.concat(pieces), contentType: `multipart/form-data; boundary=${boundary}`, boundary };
}

export interface BatchTarget {
  readonly url: string;
  readonly token: string;
  readonly session: { readonly uploadSessionId: string; readonly uploadToken: string };
}

export function batchUrl(target: BatchTarget): string {
  return `${target.url}/v1/upload-sessions/${target.session.uploadSessionId}/blobs`;
}

export function batchHeaders(target: BatchTarget, contentType: string | undefined): Record<string, string> {
  return {
    authorization: `Bearer ${target.token}`,
    'x-upload-token': target.session.uploadToken,
    ...(contentType === undefined ? {} : { 'content-type': contentType }),
  };
}

/** POSTs a whole body with its Content-Length; the answer is read even when the server answers early. */
export function postBatch(
  target: BatchTarget,
  body: MultipartBody | Buffer,
  headers: Record<string, string | undefined> = {},
): Promise<RawAnswer> {
  const bytes = Buffer.isBuffer(body) ? body : body.body;
  const contentType = Buffer.isBuffer(body) ? undefined : body.contentType;
  const merged: Record<string, string | undefined> = {
    ...batchHeaders(target, contentType),
    'content-length': String(bytes.length),
    ...headers,
  };
  const sent = Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return sendRequest(batchUrl(target), 'POST', sent, bytes);
}

/** presscloud_blob_bytes_received_total: how far the server has read into blob bodies. */
export async function bytesReceived(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^presscloud_blob_bytes_received_total (\d+)/m.exec(text)?.[1] ?? 0);
}

export interface OpenBatch {
  /** Resolves once the chunk is handed to the socket. */
  write(chunk: Buffer): Promise<void>;
  end(): void;
  /** Drops the connection mid-body. */
  destroy(): void;
  /** The server's answer, or 'destroyed' when the connection went first. */
  readonly answer: Promise<RawAnswer | 'destroyed'>;
}

/** Starts a chunked batch POST that the test writes piece by piece (Nagle off: each write leaves at once). */
export function openBatch(target: BatchTarget, contentType: string): OpenBatch {
  const request = http.request(batchUrl(target), { method: 'POST', headers: batchHeaders(target, contentType) });
  request.on('socket', (socket) => socket.setNoDelay(true));
  let destroyed = false;
  const answer = new Promise<RawAnswer | 'destroyed'>((resolve, reject) => {
    let answered = false;
    request.on('response', (response) => {
      answered = true;
      readRawAnswer(response).then(resolve, reject);
    });
    request.on('error', (err) => {
      if (destroyed) resolve('destroyed');
      else if (!answered) reject(err);
    });
    request.on('close', () => {
      if (destroyed && !answered) resolve('destroyed');
    });
  });
  return {
    write: (chunk) => new Promise((resolve, reject) => request.write(chunk, (err) => (err ? reject(err) : resolve()))),
    end: () => request.end(),
    destroy: () => {
      destroyed = true;
      request.destroy();
    },
    answer,
  };
}

/** POSTs `chunks` as a chunked body, one write each, pausing a moment between them so the server reads them apart. */
export async function postChunks(target: BatchTarget, contentType: string, chunks: readonly Buffer[]): Promise<RawAnswer> {
  const batch = openBatch(target, contentType);
  try {
    for (const chunk of chunks) {
      await batch.write(chunk);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    batch.end();
  } catch {
    // The server answered (and closed) before the whole body went: its answer is what the caller wants.
  }
  const answer = await batch.answer;
  if (answer === 'destroyed') throw new Error('the batch connection closed without an answer');
  return answer;
}

/** Splits `body` at the given offsets (any order, duplicates and out-of-range ones ignored). */
export function splitAt(body: Buffer, offsets: readonly number[]): Buffer[] {
  const cuts = [...new Set(offsets.filter((offset) => offset > 0 && offset < body.length))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, body.length]) {
    chunks.push(body.subarray(start, cut));
    start = cut;
  }
  return chunks;
}
