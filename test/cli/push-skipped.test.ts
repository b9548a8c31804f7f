// What push leaves out of a real messy tree, said so a user can act on it: the reason that applies to each file,
// a name that is not UTF-8 in an escaped form a shell takes back ($'caf\xe9.txt'), and the count in the summary and --json.
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapedName } from '../../src/cli/push/skipped.js';
import { usePushFixture } from './push-fixture.js';
import { runCli } from './run-cli.js';

const env = usePushFixture('presscloud-push-skipped-');

describe('push and the files it leaves out', () => {
  it('names the reason for each, escapes a non-UTF-8 name, and counts them in the summary and --json', async () => {
    const root = path.join(env.workDir, 'messy');
    await mkdir(root, { recursive: true });
    await writeFile(path.join(root, 'index.html'), `messy ${Date.now()}`);
    await writeFile(path.join(env.workDir, 'secret.txt'), 'outside');
    await symlink('../secret.txt', path.join(root, 'escape.txt'));
    await symlink('missing.txt', path.join(root, 'dangling.txt'));
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    await writeFile(Buffer.concat([Buffer.from(`${root}/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]), 'latin-1 name');

    const run = await runCli(['push', root, '--url', env.server.url, '--token', env.server.token, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const warnings = run.stderr.split('\n').filter((line) => line.startsWith('warning: skipping'));
    expect(warnings.sort()).toEqual(
      [
        'warning: skipping "caf\\xe9.txt": the API refuses this path: it must be valid UTF-8 (other bytes shown as \\xNN)',
        'warning: skipping dangling.txt: broken symlink (its target does not exist)',
        'warning: skipping escape.txt: symlink to a place outside the directory',
        'warning: skipping pipe: not a regular file (a fifo, socket or device)',
      ].sort(),
    );
    // The escaped name finds the file: bash's $'…' reads \xNN back into the byte.
    expect(execFileSync('bash', ['-c', `ls $'caf\\xe9.txt'`], { cwd: root, encoding: 'latin1' })).toBe('caf\xe9.txt\n');
    expect(run.stderr).toContain(
      'left out 4 files (1 symlink to a place outside the directory; 1 broken symlink (its target does not exist); 1 not a regular file (a fifo, socket or device); 1 a name the API refuses); the warnings above name them',
    );
    const summary = JSON.parse(run.stdout) as { fileCount: number; skippedFiles: number; skipped: Array<{ path: string; reason: string }> };
    expect(summary.fileCount).toBe(1);
    expect(summary.skippedFiles).toBe(4);
    expect(summary.skipped.map((file) => file.reason).sort()).toEqual(['broken', 'outside', 'refused', 'special']);
  });

  it('escapes only the bytes that are not UTF-8', () => {
    expect(escapedName(Buffer.from('plain é.txt'))).toBe('plain é.txt');
    expect(escapedName(Buffer.from([0x61, 0xff, 0xc3, 0xa9, 0xc3]))).toBe('a\\xffé\\xc3');
    expect(escapedName(Buffer.from('back\\slash'))).toBe('back\\\\slash');
  });
});
