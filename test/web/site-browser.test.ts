// Sites in real Chromium: a real site pushed with `presscloud push --alias` renders from its alias host (styles,
// script, images, relative links, 404, redirect, rewrite, _headers); a hostile page on a site host reaches neither
// the browser page's token nor the API; and the page's own preview link and alias view (point, roll back).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runProcess } from '../cli/run-cli.js';
import { CHROMIUM_INSTALL_TIMEOUT_MS, launchChromium } from '../support/chromium.js';
import { makeTempDir, startServer, type TestServer } from '../support/server.js';
import { outcomeOf, pickFolder, screenshot, signIn } from './page-driver.js';
import { SITE_COLOR, writePublishedSite } from './published-site.js';

const HOST = 'presscloud.test';
/** Evaluated in the page (the tests' TypeScript has no DOM library). */
const H1_COLOR = "getComputedStyle(document.querySelector('h1')).color";
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 20_000, interval: 100 });

let server: TestServer;
let browser: Browser;
let token: string;
let workDir: string;
let siteDir: string;
let port: string;
let pushed: { manifestId: string; url: string };

beforeAll(async () => {
  const build = await runProcess(process.execPath, ['src/web/build.mjs']);
  if (build.exitCode !== 0) throw new Error(`the page did not build:\n${build.stderr}`);
  [server, browser] = await Promise.all([startServer(), launchChromium([`--host-resolver-rules=MAP ${HOST} 127.0.0.1`])]);
  port = new URL(server.url).port;
  token = await server.tokenFor('browser-sites', ['upload', 'read', 'publish']);
  workDir = await makeTempDir('presscloud-site-browser-');
  siteDir = path.join(workDir, 'site');
  await writePublishedSite(siteDir);
  const run = await runCli(['push', siteDir, '--alias', 'mysite', '--json', '--url', server.url, '--token', token]);
  if (run.exitCode !== 0) throw new Error(`push failed: ${run.stderr}`);
  pushed = JSON.parse(run.stdout) as typeof pushed;
}, CHROMIUM_INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  return context.newPage();
}

describe('a site pushed with --alias, in Chromium', () => {
  it('renders from its alias host: styles, script, images, relative links, 404, redirect, rewrite and headers', async () => {
    expect(pushed.url).toBe(`http://mysite.localhost:${port}/`);
    const page = await newPage();
    const home = await page.goto(pushed.url);
    expect(home?.status()).toBe(200);
    expect(home?.headers()['x-site-header']).toBe('from-headers-file');
    expect(await page.evaluate(H1_COLOR)).toBe(SITE_COLOR);
    await eventually(() => page.evaluate('document.documentElement.dataset.scriptRan')).toBe('yes');
    for (const id of ['#logo', '#pixel']) {
      await eventually(() =>
        page.evaluate(`document.querySelector('${id}').complete && document.querySelector('${id}').naturalWidth`),
      ).toBeGreaterThan(0);
    }
    await screenshot(page, 'site-home');

    await page.click('#to-docs');
    await page.waitForURL(`${pushed.url}docs/`);
    expect(await page.locator('h1').textContent()).toBe('Docs');
    expect(await page.evaluate(H1_COLOR)).toBe(SITE_COLOR);
    await page.click('#to-guide');
    await page.waitForURL(`${pushed.url}docs/guide`);
    await eventually(() => page.evaluate("document.querySelector('#guide-pixel').naturalWidth")).toBeGreaterThan(0);

    const missing = await page.goto(`${pushed.url}no/such/page`);
    expect(missing?.status()).toBe(404);
    expect(await page.locator('#lost').textContent()).toBe('This page does not exist.');
    expect(await page.evaluate(H1_COLOR)).toBe(SITE_COLOR);

    const redirected = await page.goto(`${pushed.url}old-about`);
    expect([redirected?.status(), page.url()]).toEqual([200, `${pushed.url}about`]);
    expect(await page.locator('h1').textContent()).toBe('About');
    const rewritten = await page.goto(`${pushed.url}app/some/route`);
    expect([rewritten?.status(), page.url()]).toEqual([200, `${pushed.url}app/some/route`]);
    expect(await page.locator('h1').textContent()).toBe('Docs');
    await page.context().close();
  });

  it('a page on a site host cannot read the browser page’s sessionStorage nor call the API with its token', async () => {
    const page = await newPage();
    const siteRequests: Array<Record<string, string>> = [];
    page.context().on('request', (request) => {
      if (new URL(request.url()).hostname.endsWith('.localhost')) siteRequests.push(request.headers());
    });
    await page.goto(`http://${HOST}:${port}/`);
    await signIn(page, token);
    expect(await page.evaluate('Object.values(sessionStorage).join()')).toContain(token);

    await page.goto(`${pushed.url}steal.html`);
    await eventually(() => page.title()).toMatch(/^\{/);
    const found = JSON.parse(await page.title()) as { storage: unknown[]; api: string; frame: string };
    expect(found).toEqual({ storage: [], api: 'blocked', frame: 'blocked' });
    expect(siteRequests.filter((headers) => headers.authorization !== undefined)).toEqual([]);
    await page.context().close();
  });
});

describe('the browser page', () => {
  it('links the preview after a publish, points an alias at it and rolls back', async () => {
    const page = await newPage();
    await page.goto(`http://${HOST}:${port}/`);
    await signIn(page, token);
    await pickFolder(page, siteDir);
    expect(await outcomeOf(page)).toBe('success');
    const preview = page.locator('#result-preview');
    expect(await preview.getAttribute('href')).toBe(`http://${pushed.manifestId.slice(0, 32)}.localhost:${port}/`);
    await screenshot(page, 'page-published', { scrolledTo: '#publish' });

    // The manifest just published is offered; point a new alias at it.
    expect(await page.getByLabel('Manifest id').last().inputValue()).toBe(pushed.manifestId);
    await page.getByLabel('Alias', { exact: true }).fill('from-page');
    await page.getByRole('button', { name: 'Point alias' }).click();
    const row = page.locator('tr[data-alias="from-page"]');
    await row.waitFor();
    expect(await row.locator('a').getAttribute('href')).toBe(`http://from-page.localhost:${port}/`);

    // Another folder, pointed at the same alias, then rolled back from the list.
    const other = path.join(workDir, 'other');
    await fs.mkdir(other, { recursive: true });
    await fs.writeFile(path.join(other, 'index.html'), '<!doctype html><h1>Other</h1>');
    const api = { url: server.url, token };
    const otherPush = await runCli(['push', other, '--alias', 'from-page', '--json', '--url', api.url, '--token', api.token]);
    const otherId = (JSON.parse(otherPush.stdout) as { manifestId: string }).manifestId;
    await page.reload();
    await row.waitFor();
    expect(await row.locator('td[data-label="Manifest"]').getAttribute('title')).toBe(otherId);
    await row.getByRole('button', { name: 'Roll back from-page' }).click();
    await eventually(() => row.locator('td[data-label="Manifest"]').getAttribute('title')).toBe(pushed.manifestId);
    await screenshot(page, 'page-aliases', { scrolledTo: '#aliases' });

    const site = await page.context().newPage();
    await site.goto(`http://from-page.localhost:${port}/`);
    expect(await site.locator('h1').textContent()).toBe('Home');
    await page.context().close();
  });
});
