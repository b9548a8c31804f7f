// The command line's conventions, on the built CLI as a child process: usage errors exit 2 with one line naming
// what the user typed, `--version`, one help style, commands other than serve never create a database, and
// serve keeps JSON logs on stdout apart from the lines meant for people on stderr.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startServeProcess, type ServeProcess } from '../support/serve-process.js';
import { makeTempDir } from '../support/server.js';
import { runCli } from './run-cli.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await makeTempDir('presscloud-usage-');
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

async function expectUsageError(args: string[], line: RegExp, env: Record<string, string> = {}): Promise<void> {
  const run = await runCli(args, env);
  expect(run.exitCode, `${args.join(' ')}\n${run.stderr}`).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
  expect(run.stderr).toMatch(line);
}

describe('usage errors', () => {
  it('exit 2 with one line that names the flag or variable the user set', async () => {
    const dir = await tempDir();
    const unborn = path.join(dir, 'not-yet');
    await expectUsageError(['token', 'create', '--data-dir', dir], /^presscloud: required option '--tenant <name>' not specified\n$/);
    await expectUsageError(['token', 'revoke', '--data-dir', dir], /^presscloud: missing required argument 'token-or-id'\n$/);
    await expectUsageError(
      ['serve', '--port', 'abc', '--data-dir', unborn],
      /^presscloud: --port must be an integer, from 0 to 65535, not "abc"\n$/,
    );
    await expectUsageError(
      ['serve', '--data-dir', unborn],
      /^presscloud: PRESSCLOUD_PORT must be an integer, from 0 to 65535, not "abc"\n$/,
      {
        PRESSCLOUD_PORT: 'abc',
      },
    );
    await expectUsageError(
      ['gc', '--grace-seconds', '-5', '--data-dir', dir],
      /^presscloud: --grace-seconds must be an integer, 0 or more, not "-5"\n$/,
    );
    await expectUsageError(
      ['push', dir, '--url', 'http://127.0.0.1:1'],
      /^presscloud: required option '--token <token>' not specified \(nor is PRESSCLOUD_TOKEN set\)\n$/,
    );
    // Nothing was created by a command that stopped at its flags.
    await expect(fs.stat(unborn)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('bare `presscloud token` shows the subcommands and exits 2', async () => {
    const run = await runCli(['token']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/Usage: presscloud token .*\n[\s\S]*create[\s\S]*revoke[\s\S]*list/);
  });
});

describe('presscloud --version and help', () => {
  it('prints the package version', async () => {
    const { version } = JSON.parse(await fs.readFile(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      expect(await runCli([flag])).toEqual({ exitCode: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('uses one placeholder style and one style of env/default notes in every help', async () => {
    const commands = [[], ['serve'], ['push'], ['gc'], ['token'], ['token', 'create'], ['token', 'list'], ['token', 'revoke']];
    for (const command of commands) {
      const run = await runCli([...command, '--help']);
      expect(run.exitCode).toBe(0);
      // Commander wraps long descriptions; joined back, every note is whole.
      const text = run.stdout.replace(/\n\s+/g, ' ');
      expect(text, command.join(' ')).not.toMatch(/<value>|\[value\]|env: |default: /);
      for (const placeholder of text.match(/<[^>]+>/g) ?? []) expect(placeholder).toMatch(/^<[a-z][a-z-]*>$/);
    }
    const serve = (await runCli(['serve', '--help'])).stdout.replace(/\n\s+/g, ' ');
    expect(serve).toMatch(/--port <n> +port to listen on; 0 picks a free one \(env PRESSCLOUD_PORT, default 8080\)/);
    expect(serve).toMatch(/--data-dir <dir> .*\(env PRESSCLOUD_DATA_DIR, default \.\/data\)/);
    const push = (await runCli(['push', '--help'])).stdout.replace(/\n\s+/g, ' ');
    expect(push).toMatch(/--token <token> +API token with the upload scope \(required, env PRESSCLOUD_TOKEN\)/);
    expect(push).toMatch(/--concurrency <n> +blobs uploaded at once \(default 8\)/);
  });
});

describe('commands beside serve never create a database', () => {
  it('token create, list, revoke and gc refuse a directory without one, and leave it as it was', async () => {
    const empty = await tempDir();
    const unborn = path.join(empty, 'typo');
    for (const dir of [empty, unborn]) {
      const expected = new RegExp(`^presscloud: no PressCloud database in ${dir}; start \`presscloud serve --data-dir ${dir}\` first\n$`);
      for (const args of [['token', 'create', '--tenant', 'x'], ['token', 'list'], ['token', 'revoke', 'tok_x'], ['gc']]) {
        await expectUsageError([...args, '--data-dir', dir], expected);
      }
    }
    expect(await fs.readdir(empty)).toEqual([]);
  });
});

describe('presscloud serve output', () => {
  let server: ServeProcess | undefined;
  afterEach(async () => {
    await server?.kill();
    server = undefined;
  });

  it('writes JSON log lines on stdout, and the first-start token and "serving on" on stderr', async () => {
    const dataDir = await tempDir();
    server = await startServeProcess(dataDir, ['--log-level', 'info']);
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    await server.waitForOutput(/"url":"\/healthz"/);

    const token = /^ {2}(pct_[A-Za-z0-9_-]{43})$/m.exec(server.stderr())?.[1];
    expect(token, server.stderr()).toBeDefined();
    expect(server.stderr()).toMatch(/^First start: created tenant "default"/m);
    expect(server.stderr()).toMatch(/^presscloud: serving on http:\/\/127\.0\.0\.1:\d+ /m);
    const lines = server.stdout().trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(server.stdout()).not.toContain(token);
  });
});
