// File modes over HTTP (issue 21), on both backends: a session created with an executable and a symlink keeps
// them, the manifest id is the versioned one, GET of the manifest answers them, and a site never serves a symlink.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestIdOf } from '../../src/domain/manifest.js';
import { Api, errorOf, makeBlob } from '../support/api.js';
import { startServer, type TestServer } from '../support/server.js';
import { siteRequest } from '../support/site-client.js';

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startServer();
  api = new Api(server.url, server.token);
});
afterAll(async () => server.stop());

describe('file modes in a manifest', () => {
  it('keeps the modes from session creation to GET /v1/manifests/{id}, under the versioned id', async () => {
    const script = makeBlob('run.sh', '#!/bin/sh\necho hi\n');
    const page = makeBlob('index.html', '<!doctype html><h1>modes</h1>');
    const target = makeBlob('link.html', 'index.html');
    const files = [
      { path: 'run.sh', sha256: script.sha256, size: script.size, mode: '100755' },
      { path: 'index.html', sha256: page.sha256, size: page.size, mime: 'text/html', mode: '100644' },
      { path: 'link.html', sha256: target.sha256, size: target.size, mode: '120000' },
    ];
    const created = await api.request('POST', '/v1/upload-sessions', { body: { files } });
    expect(created.status).toBe(201);
    const session = (await created.json()) as { uploadSessionId: string; uploadToken: string; missing: string[] };
    for (const blob of [script, page, target]) {
      if (session.missing.includes(blob.sha256)) expect((await api.putBlob(session, blob.sha256, blob.bytes)).status).toBe(200);
    }
    const done = await api.complete(session);
    expect(done.status).toBe(200);
    const manifestId = ((await done.json()) as { manifest: { manifestId: string } }).manifest.manifestId;
    expect(manifestId).toBe(manifestIdOf(files));
    expect(manifestId).not.toBe(manifestIdOf(files.map(({ mode: _mode, ...plain }) => plain)));

    const manifest = (await (await api.request('GET', `/v1/manifests/${manifestId}`)).json()) as { files: unknown[] };
    // A plain file carries no mode, whether or not the client wrote "100644".
    expect(manifest.files).toEqual([
      { path: 'index.html', sha256: page.sha256, size: page.size, mime: 'text/html' },
      { path: 'link.html', sha256: target.sha256, size: target.size, mode: '120000' },
      { path: 'run.sh', sha256: script.sha256, size: script.size, mode: '100755' },
    ]);

    const host = `${manifestId.slice(0, 32)}.localhost`;
    expect((await siteRequest(server.url, host, '/')).status).toBe(200);
    // The link's blob is the text "index.html": served as a page it would be wrong, so the site has no such file.
    expect((await siteRequest(server.url, host, '/link.html')).status).toBe(404);
    expect((await siteRequest(server.url, host, '/link')).status).toBe(404);
  });

  it('refuses an unknown mode and an entry under a symlink with invalid_request', async () => {
    const blob = makeBlob('x', 'x');
    const unknown = await api.request('POST', '/v1/upload-sessions', {
      body: { files: [{ path: 'x', sha256: blob.sha256, size: 1, mode: '100664' }] },
    });
    expect((await errorOf(unknown)).error).toBe('invalid_request');
    const under = await api.request('POST', '/v1/upload-sessions', {
      body: {
        files: [
          { path: 'docs', sha256: blob.sha256, size: 1, mode: '120000' },
          { path: 'docs/x', sha256: blob.sha256, size: 1 },
        ],
      },
    });
    const refusal = await errorOf(under);
    expect([refusal.status, refusal.error]).toEqual([400, 'invalid_request']);
    expect(refusal.message).toContain('which is a symlink');
  });
});
