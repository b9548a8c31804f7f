// Debian's Chromium driven by playwright-core, never a downloaded browser. A fresh machine has none: as root it is
// installed with apt-get; otherwise the test fails with the one line that says how (it is never skipped).
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { runProcess } from '../cli/run-cli.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const HOW_TO_INSTALL = "install Debian's chromium: apt-get install chromium";

/** Long enough for apt-get to fetch and unpack Chromium on a slow mirror. */
export const CHROMIUM_INSTALL_TIMEOUT_MS = 10 * 60_000;

/**
 * A headless browser with an empty profile that does not phone home (no updates, sync, QUIC or background
 * networking), so every request it makes is one the page made.
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  await ensureChromium();
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      ...extraArgs,
    ],
  });
}

export async function ensureChromium(): Promise<void> {
  if (existsSync(CHROMIUM_PATH)) return;
  if (process.getuid?.() !== 0) throw new Error(`${CHROMIUM_PATH} is missing: ${HOW_TO_INSTALL}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const run = await runProcess('apt-get', args, { env });
    if (run.exitCode !== 0) throw new Error(`apt-get ${args.join(' ')} failed (${HOW_TO_INSTALL}):\n${run.stderr.trim()}`);
  }
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} is still missing: ${HOW_TO_INSTALL}`);
}
