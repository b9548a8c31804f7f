// The README's command-line sections against the built CLI: the commands it shows are the ones a reader can
// run from a clone, and its option tables say what `--help` says.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let readme: string;

beforeAll(async () => {
  readme = await fs.readFile(path.join(REPO, 'README.md'), 'utf8');
});

/** The body of the `## title` section, up to the next `## `. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, title).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** Rows of a markdown table whose first cell is a `--flag <value>`: [flag with value, env cell]. */
function optionRows(text: string): Array<[string, string]> {
  return [...text.matchAll(/^\| `(--[a-z-]+(?: <[a-z-]+>)?)` \| `?([A-Z_]*)`? \|/gm)].map((m) => [m[1], m[2]]);
}

async function help(command: string): Promise<string> {
  const run = await runCli([command, '--help']);
  expect(run.exitCode).toBe(0);
  return run.stdout.replace(/\n\s+/g, ' ');
}

describe('README', () => {
  it('stands on its own in a clone: no links outside the repository, no macOS-only commands', () => {
    expect(readme).not.toMatch(/\]\(\.\.\//);
    expect(readme).not.toMatch(/^open /m);
    expect(readme).toMatch(/http:\/\/127\.0\.0\.1:8080\/docs/);
    expect(readme).toMatch(/http:\/\/127\.0\.0\.1:8080\/openapi\.json/);
  });

  it('runs the CLI the same way everywhere, and says how to change the port', () => {
    for (const title of ['Quick start', 'Push a directory', 'Data directory']) {
      expect(section(title), title).not.toMatch(/^(\$ )?presscloud /m);
    }
    expect(section('Quick start')).toMatch(/npm start -- --port 9000/);
    expect(section('Quick start')).toMatch(/better-sqlite3/);
  });

  it('lists the serve and push options as their --help does', async () => {
    const serveRows = optionRows(section('Configuration'));
    expect(serveRows.length).toBeGreaterThan(10);
    const serveHelp = await help('serve');
    // Up to the note's parenthesis: the env named must be this option's own.
    for (const [flag, env] of serveRows) expect(serveHelp, flag).toMatch(new RegExp(`${flag} [^(]*\\(env ${env}[,)]`));
    // And the other way round: no serve setting goes undocumented.
    const documented = new Set(serveRows.map(([flag]) => flag.split(' ')[0]));
    for (const flag of serveHelp.match(/--[a-z-]+(?= <)/g) ?? []) expect(documented, flag).toContain(flag);
    const pushRows = optionRows(section('Push a directory'));
    expect(pushRows.map(([flag]) => flag)).toContain('--url <url>');
    const pushHelp = await help('push');
    for (const [flag, env] of pushRows)
      expect(pushHelp, flag).toMatch(new RegExp(env ? `${flag} [^(]*\\((required, )?env ${env}[,)]` : flag));
  });
});
