// The served /openapi.json passes Redocly's lint (redocly.yaml: recommended-strict plus the rules a generated
// client depends on) with no error and no warning, run as a user would: the real CLI in a child process.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runProcess } from '../cli/run-cli.js';
import { makeTempDir, startServer, type TestServer } from '../support/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let server: TestServer;
let workDir: string;

beforeAll(async () => {
  server = await startServer();
  workDir = await makeTempDir('presscloud-openapi-lint-');
});
afterAll(async () => {
  await server?.stop();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

it('lints clean with @redocly/cli', async () => {
  const documentPath = path.join(workDir, 'openapi.json');
  await fs.writeFile(documentPath, await (await fetch(`${server.url}/openapi.json`)).text());
  const lint = await runProcess(
    path.join(ROOT, 'node_modules/.bin/redocly'),
    ['lint', documentPath, '--config', path.join(ROOT, 'redocly.yaml'), '--format', 'json'],
    // Its own settings only: no telemetry, no update check, no colour codes in the report.
    {
      cwd: workDir,
      env: { PATH: process.env.PATH ?? '', REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    },
  );
  const report = JSON.parse(lint.stdout) as {
    totals: { errors: number; warnings: number };
    problems: Array<{ ruleId: string; message: string }>;
  };
  expect(report.problems.map((problem) => `${problem.ruleId}: ${problem.message}`)).toEqual([]);
  expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  expect(lint.exitCode, lint.stderr).toBe(0);
});
