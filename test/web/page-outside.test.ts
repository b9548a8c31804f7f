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
