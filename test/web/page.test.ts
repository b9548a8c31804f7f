// The browser page in real Chromium against a real server, on a plain-http host name that is not localhost
// (http://presscloud.test:PORT, mapped to loopback): no secure context, so no WebCrypto digest and no Clipboard API.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page, Request, Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_CSP } from '../../src/http/routes/web.js';
import { runCli, runProcess } from '../cli/run-cli.js';
import { Api, errorOf, makeBlob, sha256Of } from '../support/api.js';
import { CHROMIUM_INSTALL_TIMEOUT_MS, launchChromium } from '../support/chromium.js';
import { makeTempDir, startServer, type TestServer } from '../support/server.js';
import { dropFolder, outcomeOf, pickFolder, screenshot, shownFacts, shownManifestId, signIn } from './page-driver.js';
import { BIG_FILE, EMPTY_FILE, EVIL_FILE, EVIL_UNTOUCHED, makeSite, type Site } from './site-fixture.js';

const HOST = 'presscloud.test';
/** For what the page shows once its requests are answered: generous, as a loaded machine is slow, never a timing claim. */
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 20_000, interval: 100 });
const UPLOAD_REQUEST = /\/v1\/upload-sessions\/[^/]+\/blobs(\/[0-9a-f]{64})?$/;
const UPLOAD_ROUTE = (url: URL) => UPLOAD_REQUEST.test(url.pathname);

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let origin: string;
let workDir: string;
let siteDir: string;
let site: Site;
const requests: Request[] = [];
/** Script errors and Content-Security-Policy violations, which Chromium reports on the console. */
const problems: string[] = [];

beforeAll(async () => {
  // The page under test is the one in this tree, bundled now (the server reads dist/web/ when it starts).
  const build = await runProcess(process.execPath, ['src/web/build.mjs']);
  if (build.exitCode !== 0) throw new Error(`the page did not build:\n${build.stderr}`);
  [server, browser] = await Promise.all([startServer(), launchChromium([`--host-resolver-rules=MAP ${HOST} 127.0.0.1`])]);
  origin = `http://${HOST}:${new URL(server.url).port}`;
  workDir = await makeTempDir('presscloud-web-');
  siteDir = path.join(workDir, 'site');
  site = await makeSite(siteDir);
  context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 } });
  context.on('request', (request) => requests.push(request));
  page = await context.newPage();
  // Playwright intercepts Chromium's file dialog only while someone listens, and turns that on asynchronously:
  // listening from the start means a dialog opened by a key press is never missed.
  page.on('filechooser', () => undefined);
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) problems.push(message.text());
  });
}, CHROMIUM_INSTALL_TIMEOUT_MS);

// Each test answers for the script errors and policy violations it caused: none, whichever tests run.
afterEach(() => {
  expect(problems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

/** Runs `during` and returns the upload requests (PUTs and batches) the page made meanwhile. */
async function uploadsDuring(during: () => Promise<void>): Promise<Request[]> {
  const before = requests.length;
  await during();
  return requests.slice(before).filter((request) => UPLOAD_REQUEST.test(new URL(request.url()).pathname));
}

async function bytesOf(relative: string): Promise<Buffer> {
  return fs.readFile(path.join(siteDir, relative));
}

describe('the browser page', () => {
  it('is served same-origin under a Content-Security-Policy of default-src self', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toBe(PAGE_CSP);
    expect(csp.split('; ')).toContain("default-src 'self'");
    // No host, no scheme, no 'unsafe-inline' or 'unsafe-eval': only this origin, and WebAssembly compilation.
    expect(csp).not.toMatch(/https?:|\*|'unsafe-inline'|'unsafe-eval'/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    // Every address in the page is a path on this origin (or a fragment of the page itself).
    const addresses = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(addresses.filter((address) => !/^(\/(?!\/)|#)/.test(address))).toEqual([]);
    expect([...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((match) => match[1])).toEqual(['/web/main.js']);
    for (const asset of ['/web/main.js', '/web/hash-worker.js', '/web/page.css', '/web/icon.svg']) {
      const answer = await fetch(`${server.url}${asset}`);
      expect(answer.status, asset).toBe(200);
      expect(answer.headers.get('content-security-policy'), asset).toBe(PAGE_CSP);
      // Revalidated with its ETag rather than refetched.
      const again = await fetch(`${server.url}${asset}`, { headers: { 'if-none-match': answer.headers.get('etag') ?? '' } });
      expect(again.status, asset).toBe(304);
    }
    const missing = await fetch(`${server.url}/web/nothing.js`);
    expect(await errorOf(missing)).toMatchObject({ status: 404, error: 'not_found' });
  });

  it("opens on a plain-http host that is not a secure context, and refuses a wrong token with the API's message", async () => {
    await page.goto(`${origin}/`);
    expect(await page.evaluate('[window.isSecureContext, typeof crypto.subtle]')).toEqual([false, 'undefined']);
    await screenshot(page, '01-sign-in');

    const wrong = `${server.token}x`;
    const refusal = await errorOf(await new Api(server.url, wrong).request('GET', '/v1/manifests'));
    expect(refusal.status).toBe(401);
    await page.getByLabel('API token').fill(wrong);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await eventually(() => page.getByRole('alert').textContent()).toBe(refusal.message);
    expect(await page.getByLabel('API token').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, '02-wrong-token');
  });

  it('publishes a picked folder with the id the API lists and `presscloud push` prints; every file comes back whole', async () => {
    await signIn(page, server.token);
    await eventually(() => page.locator('#manifest-list').textContent()).toContain('Nothing published yet');
    await screenshot(page, '03-signed-in');

    const uploads = await uploadsDuring(async () => {
      // By keyboard: signing in leaves the focus on the card's heading, the next stop is the folder picker.
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement.textContent')).toBe('Choose a folder…');
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
      await chooser.setFiles(siteDir);
      expect(await outcomeOf(page)).toBe('success');
    });
    await screenshot(page, '04-published');
    const manifestId = await shownManifestId(page);
    expect(manifestId).toMatch(/^[0-9a-f]{64}$/);

    // Small files travelled in batches, the 50 MiB one alone in a PUT.
    const bigSha = site.get(BIG_FILE)?.sha256;
    expect(uploads.filter((request) => request.method() === 'PUT').map((request) => request.url().split('/').pop())).toEqual([bigSha]);
    expect(uploads.filter((request) => request.method() === 'POST').length).toBeGreaterThanOrEqual(2);

    const api = new Api(server.url, server.token);
    const listed = (await (await api.request('GET', '/v1/manifests')).json()) as { manifests: Array<{ manifestId: string }> };
    expect(listed.manifests.map((manifest) => manifest.manifestId)).toEqual([manifestId]);
    const manifest = (await (await api.request('GET', `/v1/manifests/${manifestId}`)).json()) as {
      fileCount: number;
      files: Array<{ path: string; sha256: string; size: number }>;
    };
    expect(manifest.files.map(({ path: p, sha256, size }) => ({ path: p, sha256, size }))).toEqual(
      [...site.values()].sort((a, b) => (a.path < b.path ? -1 : 1)).map(({ path: p, sha256, size }) => ({ path: p, sha256, size })),
    );
    const facts = await shownFacts(page);
    expect(facts.Files).toBe(String(site.size));
    expect(facts['Already on the server']).toBe(`0 of ${new Set([...site.values()].map((file) => file.sha256)).size} blobs`);

    const push = await runCli(['push', siteDir, '--url', server.url, '--token', server.token]);
    expect(push.exitCode, push.stderr).toBe(0);
    expect(push.stdout.trim()).toBe(manifestId);

    // Every file back through the API, eight at a time, hashed against the bytes written to disk.
    const answers: Array<{ path: string; status: number; whole: boolean }> = [];
    const queue = [...manifest.files];
    const fetchNext = async (): Promise<void> => {
      for (let file = queue.shift(); file; file = queue.shift()) {
        const download = await api.request('GET', `/v1/blobs/${file.sha256}`);
        const bytes = Buffer.from(await download.arrayBuffer());
        answers.push({ path: file.path, status: download.status, whole: sha256Of(bytes) === site.get(file.path)?.sha256 });
      }
    };
    await Promise.all(Array.from({ length: 8 }, fetchNext));
    expect(answers).toHaveLength(site.size);
    expect(answers.filter((answer) => answer.status !== 200 || !answer.whole)).toEqual([]);
  });

  it('publishes the same folder dropped on the page with the same id, uploading nothing', async () => {
    const first = await shownManifestId(page);
    await page.getByRole('button', { name: 'Publish another folder' }).click();
    const uploads = await uploadsDuring(async () => {
      await dropFolder(page, siteDir);
      expect(await outcomeOf(page)).toBe('success');
    });
    expect(uploads).toEqual([]);
    expect(await shownManifestId(page)).toBe(first);
    const facts = await shownFacts(page);
    expect(facts.Uploaded).toBe('nothing');
    expect(facts['Already on the server']).toMatch(/^(\d+) of \1 blobs$/);
    await screenshot(page, '05-republished-by-drop');
  });

  it("lists the manifests newest first a page at a time, shows a manifest's files and downloads them whole", async () => {
    const api = new Api(server.url, server.token);
    const older = (await (await api.request('GET', '/v1/manifests')).json()) as { manifests: Array<{ manifestId: string }> };
    const siteId = older.manifests[0].manifestId;
    // 24 more manifests: with the site's, 25, past the page's 20 a page.
    const newer: string[] = [];
    for (let i = 0; i < 24; i++) newer.unshift(await api.publish([makeBlob(`page-${i}.txt`, `manifest ${i}`)]));

    await page.getByRole('button', { name: 'Refresh' }).click();
    const rows = page.locator('#manifest-list tbody tr');
    await eventually(() => rows.count()).toBe(20);
    const shownIds = async () =>
      page.locator('#manifest-list tbody .id-button').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('title')));
    expect(await shownIds()).toEqual(newer.slice(0, 20));
    await screenshot(page, '06-list-first-page');
    await page.getByRole('button', { name: 'Show more' }).click();
    await eventually(() => rows.count()).toBe(25);
    expect(await shownIds()).toEqual([...newer, siteId]);
    await eventually(() => page.locator('#list-count').textContent()).toBe('Showing 25 manifests, all of them');
    expect(await page.getByRole('button', { name: 'Show more' }).count()).toBe(0);

    await page.getByRole('button', { name: `Open manifest ${siteId}` }).click();
    await eventually(() => page.locator('#manifest-view tbody tr').count()).toBe(site.size);
    expect(await page.locator('#pull-command').textContent()).toBe(
      `presscloud pull ${siteId} ./${siteId.slice(0, 12)} --url ${origin} --token "$PRESSCLOUD_TOKEN"`,
    );
    await screenshot(page, '07-manifest', { scrolledTo: '#browse' });
    // Copy works without the Clipboard API (absent outside secure contexts): the command is selected and copied.
    // Found by place, not by name: its name changes to "Copied".
    const copy = page.locator('#pull-command + button');
    await copy.click();
    await eventually(() => copy.textContent()).toBe('Copied');
    expect(await page.evaluate('getSelection().toString()')).toBe(await page.locator('#pull-command').textContent());

    for (const relative of ['docs/guide/deep/deeper/file-9-0.html', BIG_FILE, EMPTY_FILE, EVIL_FILE]) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: `Download ${relative}` }).click(),
      ]);
      expect(download.suggestedFilename()).toBe(path.posix.basename(relative));
      const saved = await download.path();
      expect((await fs.readFile(saved)).equals(await bytesOf(relative)), relative).toBe(true);
    }
    // Saved, never shown: the page is still the page (its address names the open manifest, nothing else).
    expect(page.url()).toMatch(new RegExp(`^${origin}/(#/manifests/[0-9a-f]{64})?$`));
  });

  it('keeps the token out of reach of an uploaded HTML file opened from the API', async () => {
    const stored = await page.evaluate('JSON.stringify(Object.entries(sessionStorage))');
    expect(stored).toContain(server.token);

    // The same tab, whose sessionStorage holds the token, opens the blob with the API token in a header.
    const evil = site.get(EVIL_FILE)?.sha256;
    await page.setExtraHTTPHeaders({ authorization: `Bearer ${server.token}` });
    const response = await page.goto(`${origin}/v1/blobs/${evil}`);
    await page.setExtraHTTPHeaders({});
    expect(response?.headers()['content-type']).toBe('text/html');
    expect(response?.headers()['content-security-policy']).toBe('sandbox');
    expect(response?.headers()['x-content-type-options']).toBe('nosniff');
    expect(await page.locator('#out').textContent()).toBe(EVIL_UNTOUCHED);
    // Even code run in that document (as a script would, were scripts allowed) has an opaque origin: no storage.
    expect(await page.evaluate('(() => { try { return sessionStorage.length } catch (e) { return e.name } })()')).toBe('SecurityError');
    expect(await page.evaluate('self.origin')).toBe('null');
    await screenshot(page, '08-uploaded-html-sandboxed');
  });

  it('cancels a publish under way: the uploads stop and the session answers aborted', async () => {
    const folder = path.join(workDir, 'to-cancel');
    await writeFiles(folder, { 'one.bin': randomBytes(3 << 20), 'two.bin': randomBytes(3 << 20), 'notes/three.txt': randomBytes(500) });
    // A reload keeps the tab signed in: the token is in its sessionStorage.
    await page.goto(`${origin}/`);
    await page.getByRole('heading', { name: 'Publish a folder' }).waitFor();
    // The first upload goes through; the others are held, as on a slow link, until the cancel.
    let passed = 0;
    const held: Route[] = [];
    await page.route(UPLOAD_ROUTE, (route) => (passed++ === 0 ? route.continue() : held.push(route)));
    const created = page.waitForResponse((response) => response.url() === `${origin}/v1/upload-sessions`);
    await pickFolder(page, folder);
    const session = (await (await created).json()) as { uploadSessionId: string };
    await eventually(() => held.length).toBeGreaterThan(0);
    await eventually(() => page.locator('#upload-count').textContent()).toMatch(/^1 of 3 files$/);
    await screenshot(page, '09-uploading');

    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await outcomeOf(page)).toBe('cancelled');
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    const status = (await (
      await new Api(server.url, server.token).request('GET', `/v1/upload-sessions/${session.uploadSessionId}`)
    ).json()) as {
      state: string;
    };
    expect(status.state).toBe('aborted');
    await screenshot(page, '10-cancelled');
  });

  it("lists a file the server refused with the API's message, and publishes nothing", async () => {
    const folder = path.join(workDir, 'to-fail');
    const clip = randomBytes(2 << 20);
    await writeFiles(folder, { 'index.html': '<h1>fine</h1>', 'media/clip.bin': clip });
    // What the API answers a body of the right length but the wrong bytes, asked directly.
    const api = new Api(server.url, server.token);
    const probe = makeBlob('probe.bin', randomBytes(clip.length));
    const expected = await errorOf(await api.putBlob(await api.createSession([probe]), probe.sha256, Buffer.alloc(clip.length)));
    expect(expected.error).toBe('digest_mismatch');
    // A proxy that corrupts the big file's body on its way: the server refuses it, the small file gets through.
    const clipPut = `/blobs/${sha256Of(clip)}`;
    await page.route(UPLOAD_ROUTE, (route) =>
      route.request().url().endsWith(clipPut) ? route.continue({ postData: Buffer.alloc(clip.length) }) : route.continue(),
    );
    const created = page.waitForResponse((response) => response.url() === `${origin}/v1/upload-sessions`);
    await page.goto(`${origin}/`);
    await pickFolder(page, folder);
    const session = (await (await created).json()) as { uploadSessionId: string };
    expect(await outcomeOf(page)).toBe('failure');
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    const failure = page.locator('#outcome .failures li');
    expect(await failure.count()).toBe(1);
    expect(await failure.locator('.path').textContent()).toBe('media/clip.bin');
    expect(await failure.locator('.message').textContent()).toBe(expected.message);
    expect(((await (await api.request('GET', `/v1/upload-sessions/${session.uploadSessionId}`)).json()) as { state: string }).state).toBe(
      'aborted',
    );
    await screenshot(page, '11-failed');
  });

  it('fits a narrow screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, '12-narrow-failed', { scrolledTo: '#main' });
    await page.getByRole('button', { name: `Open manifest ${await newestManifestId()}` }).click();
    await page.locator('#manifest-view tbody tr').first().waitFor();
    await screenshot(page, '13-narrow-manifest', { scrolledTo: '#browse' });
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBe(0);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('made no request outside its own origin, and never put the token in a URL', () => {
    expect(requests.length).toBeGreaterThan(20);
    const elsewhere = requests.map((request) => request.url()).filter((url) => new URL(url).origin !== origin);
    expect(elsewhere).toEqual([]);
    expect(requests.filter((request) => request.url().includes(server.token))).toEqual([]);
  });
});

async function writeFiles(root: string, files: Record<string, Buffer | string>): Promise<void> {
  for (const [relative, bytes] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await fs.writeFile(path.join(root, relative), bytes);
  }
}

async function newestManifestId(): Promise<string> {
  const listed = (await (await new Api(server.url, server.token).request('GET', '/v1/manifests?limit=1')).json()) as {
    manifests: Array<{ manifestId: string }>;
  };
  return listed.manifests[0].manifestId;
}
