// The page's big files through tus (src/web/resumable.ts), in real Chromium behind a fault-injecting proxy: a PATCH
// cut by the network continues from the server's offset, and after a reload the same folder resumes from the upload
// kept in localStorage (a HEAD to its URL) instead of from zero.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../cli/run-cli.js';
import { type Fault, type FaultProxy, type ProxyLogEntry, startFaultProxy } from '../cli/fault-proxy.js';
import { sha256Of } from '../support/api.js';
import { CHROMIUM_INSTALL_TIMEOUT_MS, launchChromium } from '../support/chromium.js';
import { makeTempDir, startServer, type TestServer } from '../support/server.js';
import { outcomeOf, pickFolder, shownManifestId, signIn } from './page-driver.js';

const MiB = 1024 * 1024;
const BIG = 24 * MiB;
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 30_000, interval: 100 });
const TUS_PATH = /^\/v1\/upload-sessions\/[^/]+\/uploads(\/[^/?]+)?$/;

let server: TestServer;
let proxy: FaultProxy;
let browser: Browser;
let workDir: string;
/** What the proxy does to the next PATCH (given how many came before it); every other request passes. */
let patchFault: (index: number) => Fault = () => ({ kind: 'pass' });
let patches = 0;
/** Whether a HEAD of an upload went through the proxy since the test last cleared it. */
let headSeen = false;
/** Body bytes a cut PATCH delivers before its connection dies. */
const CUT = MiB;

beforeAll(async () => {
  const build = await runProcess(process.execPath, ['src/web/build.mjs']);
  if (build.exitCode !== 0) throw new Error(`the page did not build:\n${build.stderr}`);
  [server, browser] = await Promise.all([startServer(), launchChromium()]);
  // 127.0.0.1 is a secure context: the page hashes the token with WebCrypto and checksums each PATCH.
  proxy = await startFaultProxy(server.url, ({ method, path: url }) => {
    if (method === 'HEAD' && TUS_PATH.test(url)) headSeen = true;
    return method === 'PATCH' && TUS_PATH.test(url) ? patchFault(patches++) : { kind: 'pass' };
  });
  workDir = await makeTempDir('presscloud-page-resumable-');
}, CHROMIUM_INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await server?.stop();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

/** A folder of one big random file and one small one. */
async function makeFolder(name: string): Promise<{ dir: string; big: Buffer; small: Buffer }> {
  const dir = path.join(workDir, name);
  await fs.mkdir(dir, { recursive: true });
  const big = randomBytes(BIG);
  const small = Buffer.from(`<h1>${name}</h1>`);
  await fs.writeFile(path.join(dir, 'big.bin'), big);
  await fs.writeFile(path.join(dir, 'index.html'), small);
  return { dir, big, small };
}

/** A signed-in page on the proxy's origin whose threshold is lowered to 1 MiB. */
async function openPage(): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${proxy.url}/`);
  // Scripts as text: the tests are compiled without the DOM's types.
  await page.evaluate(`localStorage.setItem('presscloud.resumableThreshold', '${MiB}')`);
  await signIn(page, server.token);
  return page;
}

async function manifestFiles(manifestId: string): Promise<Array<{ path: string; sha256: string; size: number }>> {
  const answer = await fetch(`${server.url}/v1/manifests/${manifestId}`, { headers: { authorization: `Bearer ${server.token}` } });
  expect(answer.status).toBe(200);
  const manifest = (await answer.json()) as { files: Array<{ path: string; sha256: string; size: number }> };
  return manifest.files.map(({ path: file, sha256, size }) => ({ path: file, sha256, size }));
}

const tusRequests = (log: readonly ProxyLogEntry[]) => log.filter((entry) => TUS_PATH.test(entry.path));
/** Body bytes of the PATCHes: the whole declared length, or what a cut one delivered before its connection died. */
const patchBytes = (log: readonly ProxyLogEntry[]) =>
  tusRequests(log)
    .filter((entry) => entry.method === 'PATCH')
    .reduce((sum, entry) => sum + (entry.fault === 'cut-request' ? CUT : (entry.contentLength ?? 0)), 0);

/** The `presscloud.upload.` entries of the page's localStorage. */
function keptUploads(page: Page): Promise<Array<[string, string]>> {
  return page.evaluate(
    "Object.keys(localStorage).filter((key) => key.startsWith('presscloud.upload.')).map((key) => [key, localStorage.getItem(key)])",
  );
}

/** Records every text the upload's detail line shows (`3.0 MiB of 24 MiB · …`) in `window.uploadDetails`. */
async function watchUploadDetail(page: Page): Promise<void> {
  await page.evaluate(`{
    const texts = (window.uploadDetails = []);
    const detail = document.getElementById('upload-detail');
    new MutationObserver(() => texts.push(detail.textContent)).observe(detail, { childList: true, characterData: true, subtree: true });
  }`);
}

/** The byte count never went past the bytes to upload (resumed bytes count once), and ended at all of them. */
async function expectBytesCountedOnce(page: Page): Promise<void> {
  const texts = await page.evaluate<string[]>('window.uploadDetails');
  const unit: Record<string, number> = { B: 1, KiB: 1024, MiB: MiB };
  const shown = texts.flatMap((text) => {
    const match = /^([\d.]+) (B|KiB|MiB) of 24 MiB/.exec(text);
    return match ? [Number(match[1]) * unit[match[2]]] : [];
  });
  expect(shown.length).toBeGreaterThan(0);
  expect(Math.max(...shown)).toBeLessThanOrEqual(BIG);
  expect(texts.at(-1)).toMatch(/^24 MiB uploaded/);
}

describe('the page resumes big files through tus', () => {
  it('continues from the server offset when a PATCH is cut, sending the file less than twice', async () => {
    const folder = await makeFolder('cut');
    patches = 0;
    // From the second PATCH on, each dies after 1 MiB of its body reached the server until the page asks for the
    // offset: Chromium itself sends a request again when a reused connection dies, so only a later cut reaches the page.
    headSeen = false;
    patchFault = (index) => (index >= 1 && !headSeen ? { kind: 'cut-request', bytes: CUT } : { kind: 'pass' });
    const from = proxy.log.length;
    const page = await openPage();
    await watchUploadDetail(page);
    await pickFolder(page, folder.dir);
    expect(await outcomeOf(page)).toBe('success');

    const log = proxy.log.slice(from);
    expect(log.some((entry) => entry.fault === 'cut-request')).toBe(true);
    // Big through tus, never a PUT; resumed within the tab, so created once.
    expect(log.filter((entry) => entry.method === 'PUT' && entry.path.endsWith(sha256Of(folder.big)))).toEqual([]);
    expect(tusRequests(log).filter((entry) => entry.method === 'POST')).toHaveLength(1);
    expect(tusRequests(log).some((entry) => entry.method === 'HEAD')).toBe(true);
    expect(patchBytes(log)).toBeGreaterThanOrEqual(BIG);
    expect(patchBytes(log)).toBeLessThan(2 * BIG);
    expect(await manifestFiles(await shownManifestId(page))).toEqual(
      expect.arrayContaining([
        { path: 'big.bin', sha256: sha256Of(folder.big), size: BIG },
        { path: 'index.html', sha256: sha256Of(folder.small), size: folder.small.length },
      ]),
    );
    await expectBytesCountedOnce(page);
    // Stored: the kept upload is gone.
    expect(await keptUploads(page)).toEqual([]);
    await page.context().close();
  });

  it('after a reload, the same folder resumes from the kept upload (a HEAD, no new creation)', async () => {
    const folder = await makeFolder('reload');
    patches = 0;
    // One PATCH through, then the rest are never read nor answered: the upload hangs at 8 MiB.
    patchFault = (index) => (index === 0 ? { kind: 'pass' } : { kind: 'stall' });
    const from = proxy.log.length;
    const page = await openPage();
    await pickFolder(page, folder.dir);
    await eventually(() => proxy.log.slice(from).some((entry) => entry.fault === 'stall')).toBe(true);
    const firstRun = proxy.log.slice(from);
    const created = tusRequests(firstRun).filter((entry) => entry.method === 'POST');
    expect(created).toHaveLength(1);
    const kept = await keptUploads(page);
    expect(kept).toHaveLength(1);
    // The key and the entry hold the token's hash, never the token.
    expect(kept[0].join(' ')).not.toContain(server.token);
    const stored = JSON.parse(kept[0][1]) as { url: string };
    expect(new URL(stored.url).origin).toBe(proxy.url);

    patchFault = () => ({ kind: 'pass' });
    const again = proxy.log.length;
    await page.reload();
    await page.getByRole('heading', { name: 'Publish a folder' }).waitFor();
    await watchUploadDetail(page);
    await pickFolder(page, folder.dir);
    expect(await outcomeOf(page)).toBe('success');

    const secondRun = proxy.log.slice(again);
    const tus = tusRequests(secondRun);
    expect(tus[0]).toMatchObject({ method: 'HEAD', path: new URL(stored.url).pathname });
    expect(tus.filter((entry) => entry.method === 'POST')).toEqual([]);
    expect(patchBytes(secondRun)).toBeLessThan(BIG);
    expect(patchBytes(firstRun) + patchBytes(secondRun)).toBeLessThan(1.5 * BIG);
    expect(await manifestFiles(await shownManifestId(page))).toEqual(
      expect.arrayContaining([{ path: 'big.bin', sha256: sha256Of(folder.big), size: BIG }]),
    );
    await expectBytesCountedOnce(page);
    expect(await keptUploads(page)).toEqual([]);
    await page.context().close();
  });
});
