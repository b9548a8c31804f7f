// Issue 21: every command checks --url and --token the same way before its work, with a request that answers 2xx
// (no 404 in the log or /metrics of a good push), and an https:// URL on a plain-http server is one line, no retry.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { usePushFixture } from './push-fixture.js';
import { runCli } from './run-cli.js';

const env = usePushFixture('presscloud-server-check-');
const SOME_MANIFEST = 'b'.repeat(64);

async function site(name: string): Promise<string> {
  const root = path.join(env.workDir, name);
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, 'index.html'), `${name} ${Date.now()}`);
  return root;
}

function commands(root: string, url: string): Array<[string, string[]]> {
  const auth = ['--url', url, '--token', env.server.token];
  return [
    ['push', ['push', root, ...auth]],
    ['pull', ['pull', SOME_MANIFEST, path.join(env.workDir, 'pulled'), ...auth]],
    ['manifests', ['manifests', ...auth]],
  ];
}

describe('one URL check for every command', () => {
  it('hints at the server root for --url …/v1 in push, pull and manifests alike', async () => {
    const root = await site('v1');
    for (const [name, args] of commands(root, `${env.server.url}/v1`)) {
      const run = await runCli(args);
      expect([name, run.exitCode, run.stderr]).toEqual([
        name,
        2,
        `presscloud: no PressCloud API at ${env.server.url}/v1/ (404 not_found); --url is the server's root, without /v1: try ${env.server.url}/\n`,
      ]);
    }
  });

  it('says in one line, after one connection and no retry, that a plain-http server does not speak TLS', async () => {
    const root = await site('tls');
    const httpsUrl = env.server.url.replace('http://', 'https://');
    let connections = 0;
    const count = () => connections++;
    env.server.server.app.server.on('connection', count);
    try {
      for (const [name, args] of commands(root, httpsUrl)) {
        connections = 0;
        const run = await runCli(args);
        expect([name, run.exitCode, run.stderr]).toEqual([
          name,
          1,
          `presscloud: the server does not speak TLS at ${httpsUrl}/; try ${env.server.url}/\n`,
        ]);
        expect([name, connections]).toEqual([name, 1]);
      }
    } finally {
      env.server.server.app.server.off('connection', count);
    }
  });

  it('checks access with a 2xx: a push logs and counts no 4xx', async () => {
    const root = await site('clean');
    const before = await clientErrorCount();
    const run = await runCli(['push', root, '--url', env.server.url, '--token', env.server.token]);
    expect(run.exitCode).toBe(0);
    expect(await clientErrorCount()).toBe(before);
  });
});

/** The 4xx answers /metrics has counted so far. */
async function clientErrorCount(): Promise<number> {
  const text = await (await fetch(`${env.server.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('presscloud_http_requests_total{') && /status="4\d\d"/.test(line))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}
