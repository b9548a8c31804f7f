// presscloud under test: `node bin/presscloud.js serve` as a child with a fresh data dir, a token
// from `presscloud token create`, and the few API calls the bench makes (see shared/API.md).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, run, runOk, startChild, stopChild, waitForHttp } from './proc.mjs';

// The checkout under test: this one, or another given by PRESSCLOUD_ROOT (e.g. a worktree).
export const root = process.env.PRESSCLOUD_ROOT
  ? path.resolve(process.env.PRESSCLOUD_ROOT)
  : fileURLToPath(new URL('../..', import.meta.url));
export const bin = path.join(root, 'bin', 'presscloud.js');

/** With `rebuild`, run `npm run build`; throws if dist/ (the compiled server) is missing. */
export async function ensureBuilt({ rebuild = false } = {}) {
  if (rebuild) await runOk('npm', ['run', 'build'], { cwd: root, timeoutMs: 300_000 });
  if (!existsSync(path.join(root, 'dist', 'cli', 'main.bundle.js'))) {
    throw new Error('dist/cli/main.bundle.js is missing: run `npm run build` (or pass --build)');
  }
}

const TOKEN_RE = /\b([A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_-]{32,})\b/;

/**
 * Start a server on a fresh data dir. `nodeArgs` go before the script (e.g. --cpu-prof); `args` after
 * `serve` and `token create` (e.g. --database-url, --blob-store).
 * Returns {url, token, child, pid, stop}.
 */
export async function startPresscloud(dataDir, { nodeArgs = [], tenant = 'bench', env = {}, args = [], scopes = 'upload,read' } = {}) {
  await mkdir(dataDir, { recursive: true });
  const port = await freePort();
  // A token made before the first start: `token create` prints it alone on stdout.
  let token;
  const made = await run(
    process.execPath,
    [bin, 'token', 'create', '--tenant', tenant, '--scopes', scopes, '--data-dir', dataDir, ...args],
    { cwd: root, env, timeoutMs: 60_000 },
  );
  if (made.code === 0 && made.stdout.trim()) token = made.stdout.trim().split('\n').pop().trim();
  const child = startChild(
    process.execPath,
    [...nodeArgs, bin, 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, ...args],
    { cwd: root, env },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, { child, timeoutMs: 30_000, ok: (s) => s === 200 });
  if (!token) {
    // Fallback: the first start on an empty database prints one token.
    token = TOKEN_RE.exec(child.output)?.[1];
    if (!token) {
      await stopChild(child);
      throw new Error(
        `no API token: token create said ${made.code}: ${(made.stderr || made.stdout).slice(-500)}; serve said: ${child.output.slice(-500)}`,
      );
    }
  }
  return { name: 'presscloud', url, token, child, pid: child.pid, stop: () => stopChild(child, 15_000) };
}

async function call(pc, method, p, { body, uploadToken, timeoutMs = 120_000 } = {}) {
  const headers = { authorization: `Bearer ${pc.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (uploadToken) headers['x-upload-token'] = uploadToken;
  const res = await fetch(`${pc.url}${p}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p} answered ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : undefined;
}

/** POST /v1/upload-sessions with files [{path, sha256, size}]. */
export function createSession(pc, files) {
  return call(pc, 'POST', '/v1/upload-sessions', { body: { files } });
}

export function completeSession(pc, session) {
  return call(pc, 'POST', `/v1/upload-sessions/${session.uploadSessionId}/complete`, { body: {}, uploadToken: session.uploadToken });
}

export function blobPath(session, sha256) {
  return `/v1/upload-sessions/${encodeURIComponent(session.uploadSessionId)}/blobs/${sha256}`;
}

export function blobHeaders(pc, session) {
  return {
    authorization: `Bearer ${pc.token}`,
    'x-upload-token': session.uploadToken,
    'content-type': 'application/octet-stream',
  };
}

/** curl arguments for PUTting one blob of a session from a file. */
export function curlBlobArgs(pc, session, sha256) {
  const h = blobHeaders(pc, session);
  return [
    '-H',
    `Authorization: ${h.authorization}`,
    '-H',
    `X-Upload-Token: ${h['x-upload-token']}`,
    '-H',
    `Content-Type: ${h['content-type']}`,
    `${pc.url}${blobPath(session, sha256)}`,
  ];
}
