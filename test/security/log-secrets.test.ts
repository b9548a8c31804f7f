// No API token and no upload token ever appears in the logs, even at trace level and on failures.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { issueApiToken } from '../../src/domain/api-tokens.js';
import { hashToken } from '../../src/domain/tokens.js';
import { openMetadataStore } from '../../src/runtime.js';
import { startServeProcess, type ServeProcess } from '../support/serve-process.js';
import { makeTempDir } from '../support/server.js';
import {
  abortSession,
  completeSession,
  createSession,
  downloadBlob,
  getManifest,
  putBlob,
  putBytes,
  sessionStatus,
  sha256Of,
  type LocalFile,
} from '../support/api.js';

let dataDir: string;
let token: string;
let server: ServeProcess;

beforeAll(async () => {
  dataDir = await makeTempDir('presscloud-log-secrets-');
  const metadata = await openMetadataStore({ dataDir, databaseUrl: undefined });
  try {
    token = await issueApiToken(metadata, 'logged', ['upload', 'read']);
  } finally {
    await metadata.close();
  }
  server = await startServeProcess(dataDir, ['--log-level', 'trace']);
});

afterAll(async () => {
  await server?.kill();
  await fs.rm(dataDir, { recursive: true, force: true });
});

it('keeps tokens out of every log line through a full flow with its failures', async () => {
  const files: LocalFile[] = [
    { path: 'index.html', content: Buffer.from('<h1>hi</h1>') },
    { path: 'big.bin', content: randomBytes(300_000) },
  ];
  const created = await createSession(server.url, token, files);
  const session = created.body;
  const secrets = [token, session.uploadToken];

  // Failures that carry the secrets in their requests: a wrong upload token, a digest mismatch, a bad
  // API token that looks like a real one, a malformed Authorization header.
  await putBlob(server.url, token, { ...session, uploadToken: `${session.uploadToken}x` }, files[0].content);
  await putBytes(server.url, token, session, randomBytes(300_000), { sha256: sha256Of(files[1].content) });
  await sessionStatus(server.url, `${token}x`, session.uploadSessionId);
  await fetch(`${server.url}/v1/upload-sessions/${session.uploadSessionId}`, { headers: { authorization: token } });

  for (const file of files) expect((await putBlob(server.url, token, session, file.content)).status).toBe(200);
  await sessionStatus(server.url, token, session.uploadSessionId);
  const done = await completeSession(server.url, token, session);
  expect(done.status).toBe(200);
  await getManifest(server.url, token, (done.body.manifest as { manifestId: string }).manifestId);
  await downloadBlob(server.url, token, sha256Of(files[1].content));
  const second = (await createSession(server.url, token, [{ path: 'x', content: randomBytes(10) }])).body;
  secrets.push(second.uploadToken);
  await abortSession(server.url, token, second);

  server.child.kill('SIGTERM');
  await server.exited;
  const logs = server.stdout() + server.stderr();
  // The logs are really there, at trace level, with the requests' URLs.
  expect(logs).toContain('"msg":"request"');
  expect(logs).toContain(session.uploadSessionId);
  for (const secret of secrets) {
    expect(logs).not.toContain(secret);
    // Nor its random part, nor its stored hash.
    expect(logs).not.toContain(secret.slice(4));
    expect(logs).not.toContain(hashToken(secret));
  }
});
