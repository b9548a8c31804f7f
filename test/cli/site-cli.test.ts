// `presscloud push DIR --alias NAME` and `presscloud alias …` against a real server, through the built CLI.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.js';
import { siteRequest } from '../support/site-client.js';
import { runCli } from './run-cli.js';

let server: TestServer;
let token: string;
let workDir: string;
let port: string;

beforeAll(async () => {
  server = await startServer();
  token = await server.tokenFor('cli-sites', ['upload', 'read', 'publish']);
  workDir = await mkdtemp(path.join(tmpdir(), 'presscloud-site-cli-'));
  port = new URL(server.url).port;
});
afterAll(async () => {
  await server?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function siteDir(name: string, page: string, redirects = '/old / 301\n'): Promise<string> {
  const dir = path.join(workDir, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'index.html'), page);
  await writeFile(path.join(dir, '_redirects'), redirects);
  return dir;
}

const cli = (args: string[], withToken = token) => runCli([...args, '--url', server.url, '--token', withToken]);
const home = async (name: string) => (await siteRequest(server.url, `${name}.localhost`, '/')).text;

describe('presscloud push --alias', () => {
  it('points the alias after completing, prints the URLs, and warns about skipped rule lines', async () => {
    const dir = await siteDir('first', '<h1>first</h1>', '/old / 301\nnot a redirect line at all\n');
    const run = await cli(['push', dir, '--alias', 'docs', '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { manifestId: string; url: string; previewUrl: string; warnings: string[] };
    expect(out.url).toBe(`http://docs.localhost:${port}/`);
    expect(out.previewUrl).toBe(`http://${out.manifestId.slice(0, 32)}.localhost:${port}/`);
    expect(out.warnings).toEqual([expect.stringContaining('_redirects line 2')]);
    expect(run.stderr).toContain('warning: _redirects line 2');
    expect(await home('docs')).toBe('<h1>first</h1>');

    const plain = await cli(['push', await siteDir('second', '<h1>second</h1>'), '--alias', 'docs']);
    expect(plain.exitCode, plain.stderr).toBe(0);
    const [manifestId, url] = plain.stdout.trim().split('\n');
    expect([manifestId.length, url]).toEqual([64, `http://docs.localhost:${port}/`]);
    expect(plain.stderr).toContain(`preview: http://${manifestId.slice(0, 32)}.localhost:${port}/`);
    expect(await home('docs')).toBe('<h1>second</h1>');

    const bad = await cli(['push', dir, '--alias', 'Not_A_Name']);
    expect(bad.exitCode).toBe(2);
  });
});

describe('presscloud alias', () => {
  it('set, list, show, rollback (twice swaps back), delete, with the exit codes of API.md', async () => {
    const first = JSON.parse((await cli(['push', await siteDir('a', '<h1>a</h1>'), '--json'])).stdout) as { manifestId: string };
    const second = JSON.parse((await cli(['push', await siteDir('b', '<h1>b</h1>'), '--json'])).stdout) as { manifestId: string };

    const set = await cli(['alias', 'set', 'blog', first.manifestId]);
    expect([set.exitCode, set.stdout]).toEqual([0, `http://blog.localhost:${port}/\n`]);
    const lonely = await cli(['alias', 'rollback', 'blog']);
    expect(lonely.exitCode).toBe(1);
    expect(lonely.stderr).toContain('nothing to roll back to');
    expect((await cli(['alias', 'set', 'blog', second.manifestId, '--json'])).exitCode).toBe(0);
    expect(await home('blog')).toBe('<h1>b</h1>');

    const list = JSON.parse((await cli(['alias', 'list', '--json'])).stdout) as Array<{ name: string }>;
    expect(list.map((alias) => alias.name)).toContain('blog');
    expect((await cli(['alias', 'list'])).stdout).toMatch(/^NAME\tMANIFEST\tUPDATED\tURL\n/);
    const shown = JSON.parse((await cli(['alias', 'show', 'blog', '--json'])).stdout) as { history: Array<{ manifestId: string }> };
    expect(shown.history.map((change) => change.manifestId)).toEqual([second.manifestId, first.manifestId]);

    expect((await cli(['alias', 'rollback', 'blog'])).exitCode).toBe(0);
    expect(await home('blog')).toBe('<h1>a</h1>');
    expect((await cli(['alias', 'rollback', 'blog'])).exitCode).toBe(0);
    expect(await home('blog')).toBe('<h1>b</h1>');

    expect((await cli(['alias', 'set', 'Bad_Name', first.manifestId])).exitCode).toBe(2);
    expect((await cli(['alias', 'set', 'blog', 'not-a-manifest'])).exitCode).toBe(2);
    const readOnly = await server.tokenFor('cli-sites', ['read']);
    const refused = await cli(['alias', 'set', 'blog', first.manifestId], readOnly);
    expect([refused.exitCode, refused.stderr]).toEqual([2, expect.stringContaining('forbidden')]);

    expect((await cli(['alias', 'delete', 'blog'])).exitCode).toBe(0);
    const gone = await cli(['alias', 'show', 'blog']);
    expect([gone.exitCode, gone.stderr]).toEqual([1, expect.stringContaining('alias_not_found')]);
    expect((await siteRequest(server.url, 'blog.localhost', '/')).status).toBe(404);
  });
});
