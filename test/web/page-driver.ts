// What a person does on the browser page, as Playwright steps: sign in, pick or drop a folder, wait for the end,
// and screenshots of each state for a human to look at (test-results/web/).
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

export const SCREENSHOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-results/web');

/** The whole page, or with `scrolledTo` the window's view scrolled to that element (for pages too long to read). */
export async function screenshot(page: Page, name: string, options: { scrolledTo?: string } = {}): Promise<void> {
  await fs.mkdir(SCREENSHOT_DIR, { recursive: true });
  if (options.scrolledTo) await page.locator(options.scrolledTo).evaluate((element) => element.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: options.scrolledTo === undefined });
}

export async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Publish a folder' }).waitFor();
}

export async function pickFolder(page: Page, directory: string): Promise<void> {
  await page.getByLabel('Folder to publish').setInputFiles(directory);
}

/**
 * Drops a folder the way the operating system does: Chromium's own drag events (DevTools' Input.dispatchDragEvent)
 * carrying the folder's path, so the page gets real directory entries to walk.
 */
export async function dropFolder(page: Page, directory: string): Promise<void> {
  const zone = await page.locator('#drop-zone').boundingBox();
  if (!zone) throw new Error('the drop zone is not visible');
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [], files: [directory], dragOperationsMask: 1 };
  const point = { x: zone.x + zone.width / 2, y: zone.y + zone.height / 2 };
  for (const type of ['dragEnter', 'dragOver', 'drop'] as const) await cdp.send('Input.dispatchDragEvent', { type, ...point, data });
  await cdp.detach();
}

export type Outcome = 'success' | 'failure' | 'cancelled';

/** Waits for the publish to end and says how it ended. */
export async function outcomeOf(page: Page): Promise<Outcome> {
  const outcome = page.locator('#outcome');
  await outcome.waitFor({ state: 'visible', timeout: 45_000 });
  const kind = (await outcome.getAttribute('class'))?.split(' ').find((name) => name !== 'outcome');
  if (kind !== 'success' && kind !== 'failure' && kind !== 'cancelled') throw new Error(`unknown outcome ${kind}`);
  return kind;
}

/** The manifest id as the page shows it, in the copyable field of the result. */
export function shownManifestId(page: Page): Promise<string> {
  return page.locator('#outcome').getByLabel('Manifest id').inputValue();
}

/** The result's facts ("Files" → "204"), as shown. */
export async function shownFacts(page: Page): Promise<Record<string, string>> {
  const entries = await page
    .locator('#outcome dl.facts > div')
    .evaluateAll((divs) => divs.map((div) => [div.querySelector('dt')?.textContent ?? '', div.querySelector('dd')?.textContent ?? '']));
  return Object.fromEntries(entries);
}
