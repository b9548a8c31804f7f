// Runs the built CLI (`node bin/presscloud.js …`, i.e. dist/) as a child process and collects what it wrote.
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnChild } from '../support/children.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/presscloud.js');
/** `push` keeps a hash cache; tests must not write into the developer's ~/.cache. One file per pushed temp dir. */
const TEST_HASH_CACHE_DIR = path.join(tmpdir(), 'presscloud-cli-test-hash-cache');

export interface CliRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  // Only what the test passes: a developer's own PRESSCLOUD_* variables must not leak in.
  return runProcess(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', PRESSCLOUD_CACHE_DIR: TEST_HASH_CACHE_DIR, ...env },
  });
}

/** Runs any command to its end and collects its output. */
export function runProcess(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(command, args, options);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}

export interface SpawnedCli {
  readonly pid: number;
  stderr(): string;
  signal(name: NodeJS.Signals): void;
  /** Resolves at the exit, with everything the command wrote; `signal` is set when a signal ended it. */
  readonly done: Promise<CliRun & { signal: NodeJS.Signals | null }>;
}

/** Starts the built CLI without waiting for it, for tests that act while it runs (a signal, a file change). */
export function spawnCli(args: string[], env: Record<string, string> = {}): SpawnedCli {
  const child = spawnChild(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', PRESSCLOUD_CACHE_DIR: TEST_HASH_CACHE_DIR, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliRun & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode, signal) => resolve({ exitCode, signal, stdout, stderr }));
  });
  return { pid: child.pid ?? 0, stderr: () => stderr, signal: (name) => child.kill(name), done };
}
