// A client written against nothing but what openapi-typescript generates from the served /openapi.json, run
// through openapi-fetch: the whole upload flow, downloads, and the errors a client meets. It prints every
// exchange as JSON for generated-client.test.ts, which checks each answer against the document.
// To cover a new route: add a step below; the test fails while any operation of the document is never called.
// `./openapi.js` exists only in the test's temp directory, so the project's own tsconfig leaves this file out.
import { createHash } from 'node:crypto';
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './openapi.js';

interface Exchange {
  readonly method: string;
  /** The document's path template, as openapi-fetch was called with it. */
  readonly path: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const [baseUrl = '', token = ''] = process.argv.slice(2);
const exchanges: Exchange[] = [];
const recorder: Middleware = {
  async onResponse({ request, response, schemaPath }) {
    const body = request.method === 'HEAD' ? '' : Buffer.from(await response.clone().arrayBuffer()).toString('latin1');
    exchanges.push({
      method: request.method,
      path: schemaPath,
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body,
    });
  },
};

const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
client.use(recorder);
const anonymous = createClient<paths>({ baseUrl });
anonymous.use(recorder);

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`flow: ${what}`);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const page = new TextEncoder().encode('<!doctype html><title>generated</title><h1>Generated client</h1>\n');
const style = new TextEncoder().encode(`body{margin:${Date.now() % 97}px}\n`);
const indexFile = { path: 'index.html', sha256: sha256(page), size: page.length, mime: 'text/html' };
const styleFile = { path: 'css/style.css', sha256: sha256(style), size: style.length };
const files = [indexFile, styleFile];
const bytesOf = new Map([
  [indexFile.sha256, page],
  [styleFile.sha256, style],
]);
/** Raw bytes go out as they are; openapi-fetch would JSON-encode them otherwise. */
const raw = { bodySerializer: (body: unknown) => body as Uint8Array, headers: { 'Content-Type': 'application/octet-stream' } };

async function uploadFlow(): Promise<string> {
  const created = await client.POST('/v1/upload-sessions', { body: { files, expiresInSeconds: 600 } });
  check(created.data !== undefined, `create answered ${created.response.status}`);
  const session = { path: { uploadSessionId: created.data.uploadSessionId }, header: { 'x-upload-token': created.data.uploadToken } };

  const early = await client.POST('/v1/upload-sessions/{uploadSessionId}/complete', { params: session });
  check(
    early.error?.error === 'blobs_missing' && 'missing' in early.error && early.error.missing?.length === 2,
    'completing early lists both blobs',
  );

  for (const missing of created.data.missing) {
    const put = await client.PUT('/v1/upload-sessions/{uploadSessionId}/blobs/{sha256}', {
      params: { ...session, path: { ...session.path, sha256: missing } },
      body: bytesOf.get(missing),
      ...raw,
    });
    check(put.data?.blob.sha256 === missing, `PUT answered ${put.response.status}`);
  }
  const status = await client.GET('/v1/upload-sessions/{uploadSessionId}', { params: { path: session.path } });
  check(status.data?.state === 'open' && status.data.missing.length === 0, 'nothing is missing once both are PUT');

  const completed = await client.POST('/v1/upload-sessions/{uploadSessionId}/complete', { params: session });
  check(completed.data?.state === 'completed', `complete answered ${completed.response.status}`);
  const manifest = await client.GET('/v1/manifests/{manifestId}', { params: { path: { manifestId: completed.data.manifest.manifestId } } });
  check(manifest.data?.files.length === 2, 'the manifest lists both files');
  const held = await client.HEAD('/v1/manifests/{manifestId}', { params: { path: { manifestId: completed.data.manifest.manifestId } } });
  check(held.response.status === 200, 'HEAD of a held manifest answers 200');
  return completed.data.manifest.manifestId;
}

/** A batch of blobs as multipart/form-data (each value a Blob, so its bytes go as they are), then the manifest list. */
async function batchAndList(manifestId: string): Promise<void> {
  const batched = new TextEncoder().encode(`batched at ${Date.now()}\n`);
  const batchedFile = { path: 'batched.txt', sha256: sha256(batched), size: batched.length };
  const created = await client.POST('/v1/upload-sessions', { body: { files: [batchedFile] } });
  check(created.data !== undefined, 'a session for the batch');
  const params = { path: { uploadSessionId: created.data.uploadSessionId }, header: { 'x-upload-token': created.data.uploadToken } };
  const parts = new Map([[batchedFile.sha256, batched]]);
  const batch = await client.POST('/v1/upload-sessions/{uploadSessionId}/blobs', {
    params,
    body: Object.fromEntries([...parts.keys()].map((name) => [name, name])),
    bodySerializer: (body: Record<string, string>) => {
      const form = new FormData();
      for (const name of Object.keys(body)) form.append(name, new Blob([parts.get(name) ?? new Uint8Array()]), name);
      return form;
    },
  });
  const [result] = batch.data?.results ?? [];
  check(result?.status === 200 && result.sha256 === batchedFile.sha256, `the batch answered ${batch.response.status}`);

  const listed = await client.GET('/v1/manifests', { params: { query: { limit: 1000 } } });
  check(listed.data?.manifests.some((manifest) => manifest.manifestId === manifestId) === true, 'the list has the manifest');
  const refused = await client.GET('/v1/manifests', { params: { query: { limit: 0 } } });
  check(refused.error?.error === 'invalid_request', 'a limit of 0 is 400');
}

async function downloads(): Promise<void> {
  const blob = { path: { sha256: indexFile.sha256 } };
  const whole = await client.GET('/v1/blobs/{sha256}', { params: blob, parseAs: 'arrayBuffer' });
  check(whole.data !== undefined && Buffer.from(whole.data).equals(Buffer.from(page)), 'GET sends the bytes');
  check(whole.response.headers.get('content-type')?.startsWith('text/html') === true, "GET sends the blob's mime");
  const head = await client.HEAD('/v1/blobs/{sha256}', { params: blob });
  check(head.response.status === 200 && head.response.headers.get('content-length') === String(page.length), 'HEAD sends the length');
  const range = await client.GET('/v1/blobs/{sha256}', { params: { ...blob, header: { range: 'bytes=0-8' } }, parseAs: 'text' });
  check(range.response.status === 206 && range.data === '<!doctype', 'a Range GET sends the range');
  const etag = whole.response.headers.get('etag') ?? '';
  const cached = await client.GET('/v1/blobs/{sha256}', { params: { ...blob, header: { 'if-none-match': etag } }, parseAs: 'arrayBuffer' });
  check(cached.response.status === 304, 'If-None-Match answers 304');
  const beyond = await client.GET('/v1/blobs/{sha256}', { params: { ...blob, header: { range: 'bytes=9999-' } } });
  check(beyond.error?.error === 'range_not_satisfiable', 'a range past the end answers 416');
}

async function errorsAndAbort(): Promise<void> {
  const unknown = await client.GET('/v1/upload-sessions/{uploadSessionId}', { params: { path: { uploadSessionId: 'us_nothing' } } });
  check(unknown.error?.error === 'session_not_found', 'an unknown session is 404');
  const unauthenticated = await anonymous.GET('/v1/manifests/{manifestId}', { params: { path: { manifestId: '0'.repeat(64) } } });
  check(unauthenticated.error?.error === 'unauthenticated', 'no token is 401');
  const invalid = await client.POST('/v1/upload-sessions', { body: { files: [] } });
  check(invalid.error?.error === 'invalid_request', 'an empty file list is 400');

  const created = await client.POST('/v1/upload-sessions', { body: { files: [styleFile] } });
  check(created.data !== undefined, 'a second session');
  const params = { path: { uploadSessionId: created.data.uploadSessionId }, header: { 'x-upload-token': created.data.uploadToken } };
  const aborted = await client.DELETE('/v1/upload-sessions/{uploadSessionId}', { params });
  check(aborted.response.status === 204, 'abort answers 204');
  const after = await client.POST('/v1/upload-sessions/{uploadSessionId}/complete', { params });
  check(after.error?.error === 'session_not_open', 'an aborted session cannot complete');
}

/** tus on a session: discovery, creation, HEAD, one PATCH that completes the blob, and a terminated second upload. */
async function resumable(): Promise<void> {
  const video = new TextEncoder().encode(`resumable at ${Date.now()}\n`);
  const videoFile = { path: 'video.bin', sha256: sha256(video), size: video.length };
  const created = await client.POST('/v1/upload-sessions', { body: { files: [videoFile] } });
  check(created.data !== undefined, 'a session for tus');
  const tus = { 'x-upload-token': created.data.uploadToken, 'tus-resumable': '1.0.0' };
  const uploads = { path: { uploadSessionId: created.data.uploadSessionId }, header: tus };
  const discovery = await anonymous.OPTIONS('/v1/upload-sessions/{uploadSessionId}/uploads', { params: { path: uploads.path } });
  check(discovery.response.headers.get('tus-version') === '1.0.0', 'OPTIONS names the version');
  const creation = {
    params: {
      ...uploads,
      header: {
        ...tus,
        'upload-length': String(video.length),
        'upload-metadata': `sha256 ${Buffer.from(videoFile.sha256).toString('base64')}`,
      },
    },
  };
  const first = await client.POST('/v1/upload-sessions/{uploadSessionId}/uploads', creation);
  const uploadId = first.response.headers.get('location')?.split('/').pop() ?? '';
  check(first.response.status === 201 && uploadId !== '', `tus creation answered ${first.response.status}`);
  const upload = { path: { ...uploads.path, uploadId }, header: tus };
  const offset = await client.HEAD('/v1/upload-sessions/{uploadSessionId}/uploads/{uploadId}', { params: upload });
  check(offset.response.headers.get('upload-offset') === '0', 'HEAD answers offset 0');
  const patched = await client.PATCH('/v1/upload-sessions/{uploadSessionId}/uploads/{uploadId}', {
    params: { ...upload, header: { ...tus, 'upload-offset': '0' } },
    body: video,
    bodySerializer: (body: unknown) => body as Uint8Array,
    headers: { 'Content-Type': 'application/offset+octet-stream' },
  });
  check(patched.response.headers.get('upload-offset') === String(video.length), `PATCH answered ${patched.response.status}`);
  const second = await client.POST('/v1/upload-sessions/{uploadSessionId}/uploads', creation);
  const secondId = second.response.headers.get('location')?.split('/').pop() ?? '';
  const terminated = await client.DELETE('/v1/upload-sessions/{uploadSessionId}/uploads/{uploadId}', {
    params: { ...upload, path: { ...upload.path, uploadId: secondId } },
  });
  check(terminated.response.status === 204, 'termination answers 204');
}

async function operations(): Promise<void> {
  const access = await client.GET('/v1/access', { params: { query: { scope: 'upload' } } });
  check(access.data?.scopes.includes('upload') === true, 'the token carries the upload scope');
  check((await anonymous.GET('/healthz')).data?.status === 'ok', 'healthz');
  check((await anonymous.GET('/readyz')).data?.status === 'ready', 'readyz');
  const metrics = await anonymous.GET('/metrics', { parseAs: 'text' });
  check(metrics.data?.includes('presscloud_http_requests_total') === true, 'metrics');
}

/** Aliases: point one at the manifest, move nothing, list, show; a manifest an alias holds cannot be deleted until it goes. */
async function aliasesAndDeletion(manifestId: string): Promise<void> {
  const name = { path: { name: `flow-${Date.now() % 1_000_000}` } };
  const created = await client.PUT('/v1/aliases/{name}', { params: name, body: { manifestId } });
  check(created.response.status === 201 && created.data?.manifestId === manifestId, `PUT alias answered ${created.response.status}`);
  const again = await client.PUT('/v1/aliases/{name}', { params: name, body: { manifestId } });
  check(again.response.status === 200, 'pointing it at the same manifest again answers 200');
  const listed = await client.GET('/v1/aliases');
  check(listed.data?.aliases.some((alias) => alias.name === name.path.name) === true, 'the list has the alias');
  const shown = await client.GET('/v1/aliases/{name}', { params: name });
  check(shown.data?.history.length === 1, 'one change in its history');
  const taken = await client.DELETE('/v1/manifests/{manifestId}', { params: { path: { manifestId } } });
  check(taken.error?.error === 'manifest_in_use', 'a manifest an alias points at is not deleted');
  const removed = await client.DELETE('/v1/aliases/{name}', { params: name });
  check(removed.response.status === 204, 'DELETE alias answers 204');
  const deleted = await client.DELETE('/v1/manifests/{manifestId}', { params: { path: { manifestId } } });
  check(deleted.response.status === 204, 'DELETE manifest answers 204');
}

/** Never called: proves the generated types constrain calls (tsc fails on an unused @ts-expect-error). */
export async function typesConstrain(uploadSessionId: string): Promise<void> {
  // @ts-expect-error size is an integer, not a string
  await client.POST('/v1/upload-sessions', { body: { files: [{ path: 'a', sha256: indexFile.sha256, size: '1' }] } });
  const withoutUploadToken = { params: { path: { uploadSessionId, sha256: indexFile.sha256 } }, body: page };
  // @ts-expect-error the PUT needs the session's X-Upload-Token
  await client.PUT('/v1/upload-sessions/{uploadSessionId}/blobs/{sha256}', withoutUploadToken);
  const status = await client.GET('/v1/upload-sessions/{uploadSessionId}', { params: { path: { uploadSessionId } } });
  // @ts-expect-error "closed" is not a state
  check(status.data?.state !== 'closed', 'never');
}

const manifestId = await uploadFlow();
await batchAndList(manifestId);
await downloads();
await errorsAndAbort();
await resumable();
await operations();
await aliasesAndDeletion(manifestId);
process.stdout.write(`${JSON.stringify({ manifestId, exchanges })}\n`);
