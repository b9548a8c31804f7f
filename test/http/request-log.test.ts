// The log lines of a real `presscloud serve`: a client that disconnects mid-PUT is an aborted request at info
// with the usual request line (not an "unhandled error" with a stack); request ids in logs are sane ones.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiToken } from '../../src/domain/api-tokens.js';
import { openMetadataStore } from '../../src/runtime.js';
import { sha256Of } from '../support/api.js';
import { startServeProcess, type ServeProcess } from '../support/serve-process.js';
import { makeTempDir } from '../support/server.js';
import { RawConnection } from './raw-connection.js';

let dataDir: string;
let token: string;
let server: ServeProcess;

beforeAll(async () => {
  dataDir = await makeTempDir('presscloud-request-log-');
  const metadata = await openMetadataStore({ dataDir, databaseUrl: undefined });
  try {
    token = await issueApiToken(metadata, 'logged', ['upload', 'read']);
  } finally {
    await metadata.close();
  }
  server = await startServeProcess(dataDir);
});
afterAll(async () => {
  await server?.kill();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

type LogLine = Record<string, unknown> & { level: number; msg: string; reqId?: string };
const logLines = (): LogLine[] =>
  server
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

describe('request log', () => {
  it('logs a client that disconnects mid-PUT as an aborted request, at info, with its request line', async () => {
    const content = randomBytes(1024 * 1024);
    const sha256 = sha256Of(content);
    const created = await fetch(`${server.url}/v1/upload-sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ files: [{ path: 'cut.bin', sha256, size: content.length }] }),
    });
    const session = (await created.json()) as { uploadSessionId: string; uploadToken: string };
    const url = `/v1/upload-sessions/${session.uploadSessionId}/blobs/${sha256}`;

    const connection = await RawConnection.open(server.url);
    await connection.write(
      `PUT ${url} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nX-Upload-Token: ${session.uploadToken}\r\n` +
        'X-Request-Id: cut-mid-body\r\n' +
        `Content-Type: application/octet-stream\r\nContent-Length: ${content.length}\r\n\r\n`,
    );
    await connection.write(content.subarray(0, 256 * 1024));
    // The server has taken the request once its tmp/ holds the partial body; then the client goes away.
    await waitFor(async () => (await fs.readdir(`${dataDir}/tmp`)).length > 0);
    // A FIN would read as a half-close, which is answered 400 (a body cut short); a reset is a client gone.
    connection.reset();
    await server.waitForOutput(/"reqId":"cut-mid-body".*\n/);

    // Linux reports a reset as ECONNRESET to the first read, and as an end of stream to a read after its error
    // was taken (by a write, say): on a loaded machine the server can see the cut as a half-close and answer it
    // 400 into the void. Either way it is one request line at info, never an error with a stack.
    const lines = logLines().filter((line) => line.reqId === 'cut-mid-body');
    const line = { level: 30, method: 'PUT', url, ms: expect.any(Number) };
    expect(lines).toEqual([
      expect.objectContaining(
        lines[0]?.msg === 'request aborted' ? { ...line, msg: 'request aborted', aborted: true } : { ...line, msg: 'request', status: 400 },
      ),
    ]);
    expect(logLines().filter((line) => line.level >= 50)).toEqual([]);
    expect(server.stdout()).not.toContain('unhandled error');
  });

  it('logs a made-up request id in place of one that is not sane, and the id a parser refusal answered with', async () => {
    const insane = `x${'{"forged":true} '.repeat(300)}`;
    const response = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': insane } });
    const given = response.headers.get('x-request-id') ?? '';
    await server.waitForOutput(given);
    expect(logLines().find((line) => line.reqId === given)).toMatchObject({ msg: 'request', url: '/healthz', status: 200 });
    expect(server.stdout()).not.toContain('forged');

    const connection = await RawConnection.open(server.url);
    try {
      await connection.write('HELLO THERE\r\n\r\n');
      const answer = await connection.readAnswer();
      await server.waitForOutput(answer.headers['x-request-id']);
      expect(logLines().find((line) => line.reqId === answer.headers['x-request-id'])).toMatchObject({ level: 30, status: 400 });
    } finally {
      connection.close();
    }
  });
});

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
}
