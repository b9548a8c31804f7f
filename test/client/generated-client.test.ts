// A client generated from the served /openapi.json works unmodified: openapi-typescript turns the document into
// types, a client program written only against them (generated-client/flow.ts) passes strict tsc, and run
// through openapi-fetch it uploads, completes, downloads and meets the usual errors — every answer as the
// document declares it, and every operation of the document called at least once.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess, type CliRun } from '../cli/run-cli.js';
import { startServer, makeTempDir, type TestServer } from '../support/server.js';
import { allowFor } from '../support/timeouts.js';
import { AnswerChecker, type Answer, type OpenApiDocument } from './openapi-answers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'node_modules/.bin');

/** The program's own tsconfig: strict, and nothing from the project but node_modules. */
const TSCONFIG = {
  compilerOptions: {
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noUnusedLocals: true,
    target: 'ES2022',
    lib: ['ES2024'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: ['node'],
    skipLibCheck: true,
    outDir: 'out',
  },
  files: ['flow.ts', 'openapi.ts'],
};

let server: TestServer;
let workDir: string;
let checker: AnswerChecker;
let generated: CliRun;
let compiled: CliRun;

beforeAll(async () => {
  server = await startServer();
  workDir = await makeTempDir('presscloud-generated-client-');
  const document = await (await fetch(`${server.url}/openapi.json`)).text();
  checker = new AnswerChecker(JSON.parse(document) as OpenApiDocument);
  await fs.writeFile(path.join(workDir, 'openapi.json'), document);
  await fs.copyFile(path.join(ROOT, 'test/client/generated-client/flow.ts'), path.join(workDir, 'flow.ts'));
  await fs.writeFile(path.join(workDir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  await fs.writeFile(path.join(workDir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  await fs.symlink(path.join(ROOT, 'node_modules'), path.join(workDir, 'node_modules'), 'dir');
  generated = await runProcess(path.join(BIN, 'openapi-typescript'), ['openapi.json', '--output', 'openapi.ts'], { cwd: workDir });
  compiled = generated.exitCode === 0 ? await runProcess(path.join(BIN, 'tsc'), ['-p', 'tsconfig.json'], { cwd: workDir }) : generated;
}, allowFor(10_000)); // openapi-typescript, then tsc: about 10 s idle

afterAll(async () => {
  await server?.stop();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

describe('a client generated from /openapi.json', () => {
  it('gets its types from openapi-typescript', async () => {
    expect(generated.exitCode, generated.stderr).toBe(0);
    const types = await fs.readFile(path.join(workDir, 'openapi.ts'), 'utf8');
    expect(types).toContain('"application/octet-stream": unknown');
  });

  it('type-checks under strict tsc, and the types refuse wrong calls', () => {
    expect(compiled.exitCode, `${compiled.stdout}${compiled.stderr}`).toBe(0);
  });

  it('runs the whole flow through openapi-fetch, each answer as the document declares it', async () => {
    expect(compiled.exitCode).toBe(0);
    const token = await server.tokenFor('test', ['upload', 'read', 'publish']);
    const run = await runProcess(process.execPath, [path.join(workDir, 'out/flow.js'), server.url, token], { cwd: workDir });
    expect(run.exitCode, run.stderr).toBe(0);
    const { manifestId, exchanges } = JSON.parse(run.stdout) as { manifestId: string; exchanges: Answer[] };
    expect(manifestId).toMatch(/^[0-9a-f]{64}$/);

    expect(exchanges.flatMap((answer) => checker.problems(answer))).toEqual([]);
    const called = new Set(exchanges.map((answer) => `${answer.method} ${answer.path}`));
    expect(checker.operations().filter((operation) => !called.has(operation))).toEqual([]);
    // Success and failure both went through: the flow is not all errors, nor only the happy path.
    const statuses = new Set(exchanges.map((answer) => answer.status));
    for (const status of [200, 201, 204, 206, 304, 400, 401, 404, 409, 416]) expect(statuses).toContain(status);
  });
});

describe('the answer checker', () => {
  const answer = (over: Partial<Answer>): Answer => ({
    method: 'GET',
    path: '/healthz',
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'r1' },
    body: '{"status":"ok"}',
    ...over,
  });

  it('passes an answer the document describes, and names each way one can differ from it', () => {
    expect(checker.problems(answer({}))).toEqual([]);
    expect(checker.problems(answer({ body: '{"status":"fine"}' }))).toEqual([expect.stringContaining('GET /healthz → 200')]);
    expect(checker.problems(answer({ headers: { 'content-type': 'application/json' } }))).toEqual([
      expect.stringContaining('X-Request-Id is missing'),
    ]);
    expect(checker.problems(answer({ headers: { 'content-type': 'text/html', 'x-request-id': 'r1' } }))).toEqual([
      expect.stringContaining('Content-Type text/html'),
    ]);
    expect(
      checker.problems(answer({ method: 'HEAD', path: '/v1/blobs/{sha256}', headers: { 'x-request-id': 'r1' }, body: 'bytes' })),
    ).toEqual(
      expect.arrayContaining([
        expect.stringContaining('header ETag is missing'),
        expect.stringContaining('a body where the document declares none'),
      ]),
    );
    expect(checker.problems(answer({ method: 'PATCH' }))).toEqual([expect.stringContaining('no such operation')]);
  });
});
