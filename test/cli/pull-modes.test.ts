// Issue 21: push and pull keep what git keeps. A real tree (an executable script, a plain file, a link inside, a
// link leaving the tree, a broken link) pushed and pulled by the real CLI into a new directory comes back with its
// modes and its link, the other links left out with warnings; a manifest with an escaping link is refused.
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, makeBlob } from '../support/api.js';
import { startServer } from '../support/server.js';
import { runCli } from './run-cli.js';

type Server = Awaited<ReturnType<typeof startServer>>;

let server: Server;
let workDir: string;

beforeAll(async () => {
  server = await startServer({});
  workDir = await mkdtemp(path.join(tmpdir(), 'presscloud-modes-'));
});

afterAll(async () => {
  await server?.stop();
  await rm(workDir, { recursive: true, force: true });
});

const umask = process.umask();

describe('push and pull keep the executable bit and symlinks', () => {
  it('restores run.sh 755, a.txt 644 and link -> a.txt; leaves out the escaping and the broken link with warnings', async () => {
    const source = path.join(workDir, 'source');
    await mkdir(path.join(source, 'sub'), { recursive: true });
    await writeFile(path.join(source, 'run.sh'), `#!/bin/sh\necho ${Date.now()}\n`);
    await chmod(path.join(source, 'run.sh'), 0o755);
    await writeFile(path.join(source, 'a.txt'), 'plain text\n');
    await chmod(path.join(source, 'a.txt'), 0o644);
    await writeFile(path.join(source, 'sub', 'tool'), 'tool\n');
    await chmod(path.join(source, 'sub', 'tool'), 0o700);
    await symlink('a.txt', path.join(source, 'link'));
    await symlink('../a.txt', path.join(source, 'sub', 'up-link'));
    await writeFile(path.join(workDir, 'secret.txt'), 'outside');
    await symlink('../secret.txt', path.join(source, 'escape'));
    await symlink('missing.txt', path.join(source, 'broken'));

    const push = await runCli(['push', source, '--url', server.url, '--token', server.token]);
    expect(push.exitCode).toBe(0);
    expect(push.stderr).toContain('warning: skipping escape: symlink to a place outside the directory');
    expect(push.stderr).toContain('warning: skipping broken: broken symlink (its target does not exist)');
    const manifestId = push.stdout.trim();

    const manifest = (await (await new Api(server.url, server.token).request('GET', `/v1/manifests/${manifestId}`)).json()) as {
      files: Array<{ path: string; mode?: string }>;
    };
    expect(manifest.files.map((file) => [file.path, file.mode])).toEqual([
      ['a.txt', undefined],
      ['link', '120000'],
      ['run.sh', '100755'],
      ['sub/tool', '100755'],
      ['sub/up-link', '120000'],
    ]);

    const target = path.join(workDir, 'pulled');
    const pull = await runCli(['pull', manifestId, target, '--url', server.url, '--token', server.token]);
    expect(pull.stderr).toContain('pulled 5 files');
    expect(pull.exitCode).toBe(0);
    expect((await readdir(target)).sort()).toEqual(['a.txt', 'link', 'run.sh', 'sub']);
    expect((await stat(path.join(target, 'run.sh'))).mode & 0o777).toBe(0o777 & ~umask);
    expect((await stat(path.join(target, 'sub', 'tool'))).mode & 0o777).toBe(0o777 & ~umask);
    expect((await stat(path.join(target, 'a.txt'))).mode & 0o777).toBe(0o666 & ~umask);
    expect((await lstat(path.join(target, 'link'))).isSymbolicLink()).toBe(true);
    expect(await readlink(path.join(target, 'link'))).toBe('a.txt');
    expect(await readlink(path.join(target, 'sub', 'up-link'))).toBe('../a.txt');
    expect(await readFile(path.join(target, 'sub', 'up-link'), 'utf8')).toBe('plain text\n');

    // Pulled again: nothing to write; a lost executable bit comes back without a download.
    await chmod(path.join(target, 'run.sh'), 0o644);
    const again = await runCli(['pull', manifestId, target, '--url', server.url, '--token', server.token, '--json']);
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ writtenFiles: 0, skippedFiles: 5 });
    expect((await stat(path.join(target, 'run.sh'))).mode & 0o777).toBe(0o777 & ~umask);
  });

  it('refuses, before writing anything, a manifest whose symlink would leave the directory', async () => {
    const api = new Api(server.url, server.token);
    const page = makeBlob('page.txt', `page ${Date.now()}`);
    const escaping = makeBlob('out', '../../etc/passwd');
    const created = await api.request('POST', '/v1/upload-sessions', {
      body: {
        files: [
          { path: 'page.txt', sha256: page.sha256, size: page.size },
          { path: 'd/out', sha256: escaping.sha256, size: escaping.size, mode: '120000' },
        ],
      },
    });
    expect(created.status).toBe(201);
    const session = (await created.json()) as { uploadSessionId: string; uploadToken: string; missing: string[] };
    for (const blob of [page, escaping]) {
      if (session.missing.includes(blob.sha256)) expect((await api.putBlob(session, blob.sha256, blob.bytes)).status).toBe(200);
    }
    const done = await api.complete(session);
    const manifestId = ((await done.json()) as { manifest: { manifestId: string } }).manifest.manifestId;

    const target = path.join(workDir, 'refused');
    const pull = await runCli(['pull', manifestId, target, '--url', server.url, '--token', server.token]);
    expect(pull.exitCode).toBe(1);
    expect(pull.stderr).toContain('refusing to write "d/out": a symlink to "../../etc/passwd": its target leads outside the directory');
    expect(await readdir(target)).toEqual([]);
  });
});
