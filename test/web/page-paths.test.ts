// Issue 21: the page and `presscloud push` give one folder one manifest id, and report the same files left out.
// Chromium's folder picker turns a backslash in a file's name into a path separator (`back\slash.txt` arrives as
// `back/slash.txt` in webkitRelativePath); the page takes the name from File.name and applies the CLI's rule to it.
// Symlinks never reach a page, so the page says so instead of listing them. Real Chromium, a real server, the
// built CLI as a child process, on one folder on disk.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runProcess } from '../cli/run-cli.js';
import { Api } from '../support/api.js';
import { CHROMIUM_INSTALL_TIMEOUT_MS, launchChromium } from '../support/chromium.js';
import { makeTempDir, startServer, type TestServer } from '../support/server.js';
import { dropFolder, outcomeOf, pickFolder, screenshot, shownManifestId, signIn } from './page-driver.js';

const HOST = 'presscloud.test';

let server: TestServer;
let browser: Browser;
let origin: string;
let workDir: string;
let oddDir: string;

/** What publishes from the odd folder, by either front-end. */
const PUBLISHED = ['normal.txt', 'sub/nested.txt'];
/** Names the shared path rule refuses, as files on disk. */
const REFUSED = ['back\\slash.txt', 'sub/deep\\name.txt', 'ctl\u0001char.txt', 'sub/new\nline.txt'];

beforeAll(async () => {
  // The page under test is the one in this tree, bundled now; the CLI is the built one (npm run build).
  const build = await runProcess(process.execPath, ['src/web/build.mjs']);
  if (build.exitCode !== 0) throw new Error(`the page did not build:\n${build.stderr}`);
  [server, browser] = await Promise.all([startServer(), launchChromium([`--host-resolver-rules=MAP ${HOST} 127.0.0.1`])]);
  origin = `http://${HOST}:${new URL(server.url).port}`;
  workDir = await makeTempDir('presscloud-web-paths-');
  oddDir = path.join(workDir, 'odd');
  for (const [index, relative] of [...PUBLISHED, ...REFUSED].entries()) {
    await fs.mkdir(path.dirname(path.join(oddDir, relative)), { recursive: true });
    await fs.writeFile(path.join(oddDir, relative), `file ${index}: ${relative}\n`);
  }
  // Links the CLI leaves out and reports (one leads outside the folder, one nowhere); the page never sees them.
  await fs.writeFile(path.join(workDir, 'outside.txt'), 'outside the folder\n');
  await fs.symlink(path.join(workDir, 'outside.txt'), path.join(oddDir, 'outside-link.txt'));
  await fs.symlink('missing.txt', path.join(oddDir, 'sub', 'broken-link.txt'));
}, CHROMIUM_INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

/** Script errors of the pages opened; each test answers for its own. */
const problems: string[] = [];

afterEach(() => {
  expect(problems.splice(0)).toEqual([]);
});

async function openPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${origin}/`);
  await signIn(page, server.token);
  return page;
}

/** The page's left-out list as the CLI writes its warnings: `"path": reason`. */
async function shownLeftOut(page: Page): Promise<string[]> {
  return page.locator('#left-out li').evaluateAll((items) => items.map((item) => item.textContent ?? ''));
}

interface CliPush {
  manifestId: string;
  /** Every file the CLI left out, by reason. */
  skipped: Array<{ path: string; reason: string }>;
  /** The warnings for refused names, as the page should list them. */
  refusedWarnings: string[];
}

async function cliPush(directory: string): Promise<CliPush> {
  const run = await runCli(['push', directory, '--json', '--url', server.url, '--token', server.token]);
  expect(run.exitCode, run.stderr).toBe(0);
  const summary = JSON.parse(run.stdout) as { manifestId: string; skipped: Array<{ path: string; reason: string }> };
  // `warning: skipping "a\\b.txt": the API refuses this path: it must not contain a backslash`: the path is JSON.
  const refusedWarnings = [...run.stderr.matchAll(/skipping ("(?:[^"\\]|\\.)*"): (the API refuses this path: .*)$/gm)].map(
    (match) => `${match[1]}: ${match[2]}`,
  );
  return { manifestId: summary.manifestId, skipped: summary.skipped, refusedWarnings };
}

describe('the page and `presscloud push` on a folder with odd names and symlinks', () => {
  it('publish the same manifest id and report the same refused names, each by path and reason', async () => {
    const page = await openPage();
    await pickFolder(page, oddDir);
    expect(await outcomeOf(page)).toBe('success');
    const pageId = await shownManifestId(page);
    const listed = await shownLeftOut(page);
    await screenshot(page, 'paths-01-left-out', { scrolledTo: '#publish' });

    const cli = await cliPush(oddDir);
    expect(pageId).toBe(cli.manifestId);
    const manifest = (await (await new Api(server.url, server.token).request('GET', `/v1/manifests/${pageId}`)).json()) as {
      files: Array<{ path: string }>;
    };
    expect(manifest.files.map((file) => file.path)).toEqual(PUBLISHED);

    // The CLI refuses every odd name and leaves out both links; the page lists the same refusals in the same words.
    expect(cli.skipped.filter((file) => file.reason === 'refused').map((file) => JSON.parse(file.path))).toEqual(
      expect.arrayContaining(REFUSED),
    );
    expect(cli.skipped.filter((file) => file.reason !== 'refused')).toEqual(
      expect.arrayContaining([
        { path: 'outside-link.txt', reason: 'outside' },
        { path: 'sub/broken-link.txt', reason: 'broken' },
      ]),
    );
    expect(cli.skipped).toHaveLength(REFUSED.length + 2);
    expect(cli.refusedWarnings).toHaveLength(REFUSED.length);
    expect(listed).toEqual([...cli.refusedWarnings].sort());
    expect(listed).toContain('"back\\\\slash.txt": the API refuses this path: it must not contain a backslash');
    expect(listed).toContain('"ctl\\u0001char.txt": the API refuses this path: it must not contain control characters');
    expect(await page.locator('#left-out-title').textContent()).toBe(`${REFUSED.length} files left out`);
    // The links the CLI reported cannot be listed by the page: it says why, next to the list.
    expect(await page.locator('#symlink-note').textContent()).toMatch(/^Symlinks are not listed: the browser shows the page no symlink/);
    await page.context().close();
  });

  it('give the same id and list when the folder is dropped instead of picked', async () => {
    const page = await openPage();
    await dropFolder(page, oddDir);
    expect(await outcomeOf(page)).toBe('success');
    const cli = await cliPush(oddDir);
    expect(await shownManifestId(page)).toBe(cli.manifestId);
    expect(await shownLeftOut(page)).toEqual([...cli.refusedWarnings].sort());
    await page.context().close();
  });

  it('list what was left out before anything is published, even when nothing is left to publish', async () => {
    const only = path.join(workDir, 'only-odd');
    await fs.mkdir(only);
    await fs.writeFile(path.join(only, 'back\\slash.txt'), 'refused by both\n');
    const run = await runCli(['push', only, '--url', server.url, '--token', server.token]);
    expect(run.stderr).toContain('has no files to push');
    expect(run.stderr).toContain('skipping "back\\\\slash.txt": the API refuses this path: it must not contain a backslash');

    const page = await openPage();
    await pickFolder(page, only);
    expect(await outcomeOf(page)).toBe('failure');
    expect(await page.locator('#outcome').textContent()).toContain('has no files to publish');
    expect(await shownLeftOut(page)).toEqual(['"back\\\\slash.txt": the API refuses this path: it must not contain a backslash']);
    await screenshot(page, 'paths-02-nothing-left', { scrolledTo: '#publish' });
    await page.context().close();
  });
});
