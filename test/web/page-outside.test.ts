// Issue 21's findings about the browser page, in real Chromium against a real server: a server out of reach at the
// first publish of a tab, and the layout on a phone (390 px).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../cli/run-cli.js';
import { CHROMIUM_INSTALL_TIMEOUT_MS, launchChromium } from '../support/chromium.js';
import { makeTempDir, startServer, type TestServer } from '../support/server.js';
import { outcomeOf, pickFolder, screenshot, signIn } from './page-driver.js';

const HOST = 'presscloud.test';

let server: TestServer;
let browser: Browser;
let origin: string;
let workDir: string;

beforeAll(async () => {
  const build = await runProcess(process.execPath, ['src/web/build.mjs']);
  if (build.exitCode !== 0) throw new Error(`the page did not build:\n${build.stderr}`);
  [server, browser] = await Promise.all([startServer(), launchChromium([`--host-resolver-rules=MAP ${HOST} 127.0.0.1`])]);
  origin = `http://${HOST}:${new URL(server.url).port}`;
  workDir = await makeTempDir('presscloud-web-outside-');
}, CHROMIUM_INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

async function folder(name: string, files: Record<string, string>): Promise<string> {
  const root = path.join(workDir, name);
  for (const [relative, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await fs.writeFile(path.join(root, relative), content);
  }
  return root;
}

async function openPage(width = 1280, height = 800): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  return page;
}

describe('a server out of reach', () => {
  it('at the first publish of a tab is said in one clear message, and never hangs; the same again at the next', async () => {
    const page = await openPage();
    await signIn(page, server.token);
    // From here on nothing from the server arrives: the page is loaded, the server is gone.
    await page.context().route('**/*', (route) => route.abort('connectionrefused'));
    const root = await folder('unreachable', { 'a.txt': 'a', 'b.txt': 'b', 'c/d.txt': 'd', 'c/e.txt': 'e' });
    for (const attempt of ['first', 'second']) {
      await pickFolder(page, root);
      expect(await outcomeOf(page), attempt).toBe('failure');
      expect(await page.locator('#outcome').textContent(), attempt).toContain('The server could not be reached');
      await screenshot(page, `outside-unreachable-${attempt}`);
      await page.getByRole('button', { name: 'Choose another folder' }).click();
    }
    await page.context().close();
  });
});

/** Publishes through the CLI's own client path (the API), with a label, and returns the manifest id. */
async function published(label: string, files: Record<string, string>): Promise<string> {
  const root = await folder(label, files);
  const { runCli } = await import('../cli/run-cli.js');
  const run = await runCli(['push', root, '--url', server.url, '--token', server.token]);
  if (run.exitCode !== 0) throw new Error(run.stderr);
  return run.stdout.trim();
}

describe('the manifest view', () => {
  it('shows labels, filters files by path, and follows the address: deep links, Back and reload', async () => {
    const files = Object.fromEntries(
      ['index.html', 'about.html', 'css/site.css', 'css/print.css', 'img/logo.svg'].map((name) => [name, `${name} ${Date.now()}`]),
    );
    const manifestId = await published('labelled-site', files);
    const page = await openPage();
    await signIn(page, server.token);
    const row = page.locator('#manifest-list tbody tr', { hasText: 'labelled-site' });
    await row.waitFor();
    await row.getByRole('button').click();
    await page.getByRole('heading', { name: 'labelled-site' }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/manifests/${manifestId}`);

    await page.getByLabel('Filter files by path').fill('css/');
    expect(await page.locator('#file-table tbody td.path').allTextContents()).toEqual(['css/print.css', 'css/site.css']);
    expect(await page.locator('.filter-count').textContent()).toBe('2 files of 5 match');
    await screenshot(page, 'outside-filtered');

    await page.goBack();
    await page.locator('#manifest-list-view').waitFor({ state: 'visible' });
    expect(await page.locator('#manifest-view').isHidden()).toBe(true);
    await page.goForward();
    await page.getByRole('heading', { name: 'labelled-site' }).waitFor();

    // A reload in the same tab keeps the token (sessionStorage) and reopens the manifest the address names.
    await page.reload();
    await page.getByRole('heading', { name: 'labelled-site' }).waitFor();
    expect(await page.locator('#file-table tbody tr').count()).toBe(5);
    await page.context().close();
  });
});

describe('on a phone (390 px wide)', () => {
  it('fits the width, never breaks a word across lines, and gives each file a compact row', async () => {
    const manifestId = await published('phone-site', {
      'index.html': `phone ${Date.now()}`,
      'assets/stylesheets/typography.css': 'body{}',
      'docs/a-rather-long-directory-name/with-a-long-file-name.html': '<p>long</p>',
    });
    const page = await openPage(390, 844);
    await page.goto(`${origin}/#/manifests/${manifestId}`);
    await signIn(page, server.token);
    await page.getByRole('heading', { name: 'phone-site' }).waitFor();
    await screenshot(page, 'outside-phone-manifest');

    // Runs in the page; a string, as this project's types have no DOM.
    const layout = (await page.evaluate(`(() => {
      const words = [];
      // Every word outside paths and command lines (which may break anywhere, by design) stays on one line.
      const walker = document.createTreeWalker(document.getElementById('workspace'), NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (!parent || parent.closest('td.path, pre.command, input, textarea, code, [hidden]') || parent.offsetParent === null) continue;
        for (const match of (node.textContent ?? '').matchAll(/\\S+/g)) {
          const range = document.createRange();
          range.setStart(node, match.index ?? 0);
          range.setEnd(node, (match.index ?? 0) + match[0].length);
          const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
          if (lines.size > 1) words.push(match[0]);
        }
      }
      // Column labels drawn by CSS (td::before) must not wrap either.
      const wrappingLabels = [...document.querySelectorAll('td')]
        .filter((td) => td.offsetParent !== null)
        .map((td) => getComputedStyle(td, '::before'))
        .filter((before) => before.content !== 'none' && before.content !== 'normal' && before.whiteSpace !== 'nowrap').length;
      const rows = [...document.querySelectorAll('#file-table tbody tr')].map((row) => ({
        height: row.getBoundingClientRect().height,
        path: row.querySelector('td.path')?.getBoundingClientRect().height ?? 0,
      }));
      return { scrollWidth: document.documentElement.scrollWidth, words, wrappingLabels, rows };
    })()`)) as {
      scrollWidth: number;
      words: string[];
      wrappingLabels: number;
      rows: Array<{ height: number; path: number }>;
    };
    expect(layout.scrollWidth).toBeLessThanOrEqual(390);
    expect(layout.words).toEqual([]);
    expect(layout.wrappingLabels).toBe(0);
    expect(layout.rows).toHaveLength(3);
    // The path, then one line of size and type, beside the download button: no card of four stacked cells (140 px
    // for a one-line path before).
    for (const row of layout.rows) expect(row.height - row.path).toBeLessThan(45);
    expect(Math.min(...layout.rows.map((row) => row.height))).toBeLessThan(75);
    await page.context().close();
  });
});
