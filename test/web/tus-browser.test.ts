// tus-js-client's browser build, unmodified, in real Chromium: a file picked on a page of the server's origin
// uploads into a session through tus, resuming after its first PATCH is cut, and the blob is committed.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, makeBlob } from '../support/api.js';
import { CHROMIUM_INSTALL_TIMEOUT_MS, launchChromium } from '../support/chromium.js';
import { makeTempDir, startServer, type TestServer } from '../support/server.js';
import { allowFor } from '../support/timeouts.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MiB = 1024 * 1024;

let server: TestServer;
let browser: Browser;
let workDir: string;
let bundle: string;

beforeAll(async () => {
  // The package's browser build (its "browser" field), bundled as a page script would be.
  const bundled = await build({
    stdin: { contents: "import { Upload } from 'tus-js-client'; globalThis.TusUpload = Upload;", resolveDir: ROOT },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    write: false,
  });
  bundle = bundled.outputFiles[0].text;
  [server, browser] = await Promise.all([startServer(), launchChromium()]);
  workDir = await makeTempDir('presscloud-tus-web-');
}, CHROMIUM_INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

const PAGE = `<!doctype html><meta charset="utf-8"><title>tus</title>
<input type="file" id="file">
<script src="/tus-test/tus.js"></script>
<script>
document.getElementById('file').addEventListener('change', (event) => {
  const file = event.target.files[0];
  const { endpoint, headers, sha256 } = window.tusTarget;
  new TusUpload(file, {
    endpoint, headers, metadata: { filename: file.name, sha256 }, chunkSize: ${5 * MiB}, retryDelays: [0, 200, 400, 800],
    onSuccess: () => { window.tusOutcome = 'success'; },
    onError: (error) => { window.tusOutcome = 'error: ' + error.message; },
  }).start();
});
</script>`;

describe('tus-js-client in Chromium', () => {
  it(
    'uploads a picked file into a session, resuming after a cut PATCH',
    async () => {
      const blob = makeBlob('clip.bin', randomBytes(12 * MiB + 321));
      const file = path.join(workDir, 'clip.bin');
      await fs.writeFile(file, blob.bytes);
      const api = new Api(server.url, server.token);
      const session = await api.createSession([blob]);

      const context = await browser.newContext();
      const page = await context.newPage();
      // The test page and the bundle come from the server's own origin, so the tus requests are same-origin.
      await page.route(`${server.url}/tus-test/**`, (route) =>
        route.request().url().endsWith('tus.js')
          ? route.fulfill({ contentType: 'text/javascript', body: bundle })
          : route.fulfill({ contentType: 'text/html', body: PAGE }),
      );
      let patches = 0;
      await page.route(/\/uploads\/tus_/, (route) =>
        route.request().method() === 'PATCH' && patches++ === 1 ? route.abort('connectionreset') : route.continue(),
      );
      const methods: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/uploads')) methods.push(request.method());
      });
      await page.goto(`${server.url}/tus-test/index.html`);
      await page.evaluate((target) => Object.assign(globalThis, { tusTarget: target }), {
        endpoint: `${server.url}/v1/upload-sessions/${session.uploadSessionId}/uploads`,
        headers: { Authorization: `Bearer ${server.token}`, 'X-Upload-Token': session.uploadToken },
        sha256: blob.sha256,
      });
      await page.setInputFiles('#file', file);
      await page.waitForFunction(() => (globalThis as { tusOutcome?: string }).tusOutcome !== undefined);
      expect(await page.evaluate(() => (globalThis as { tusOutcome?: string }).tusOutcome)).toBe('success');
      await context.close();

      expect(methods).toContain('POST');
      expect(methods).toContain('HEAD');
      expect(methods.filter((method) => method === 'PATCH').length).toBeGreaterThanOrEqual(4);
      const download = await api.request('GET', `/v1/blobs/${blob.sha256}`);
      expect(Buffer.from(await download.arrayBuffer()).equals(blob.bytes)).toBe(true);
      expect((await api.complete(session)).status).toBe(200);
    },
    allowFor(20_000),
  );
});
